/**
 * http_config: answers the `config` hook from HTTP servers, so a fleet of Postern nodes can share
 * lists (badhelo, rcpthosts, …) kept in one place. For each key it asks `<url><key>` of every
 * URL in turn; the first that has it answers (200: its body, one value per line). A 404 means
 * "not here" and the next URL, then the local file, is tried. Answers are cached; a server that
 * fails or is slow costs at most `timeout` and an expired answer is served meanwhile.
 */
import { definePlugin, ok } from '@postern/core'
import { peerDependencies } from '../package.json'
import { ConfigCache } from './cache.js'
import { type FetchOutcome, fetchLines } from './fetch-lines.js'
import { parseOptions } from './options.js'

export { configLines } from './fetch-lines.js'

export default definePlugin({
  name: 'http_config',
  core: peerDependencies['@postern/core'],
  description: 'Config values fetched over HTTP, cached, with a timeout',
  setup({ args, log, signal: unload }) {
    const opts = parseOptions(args)
    const cache = new ConfigCache(opts.cacheMs)

    /** Every URL in turn; the first that has the key answers. */
    async function ask(key: string, signal: AbortSignal): Promise<FetchOutcome> {
      const deadline = AbortSignal.any([signal, unload, AbortSignal.timeout(opts.timeoutMs)])
      let error: FetchOutcome | undefined
      for (const url of opts.urls) {
        const outcome = await fetchLines(url, key, deadline, opts.maxSize)
        if (outcome.kind === 'found') return outcome
        if (outcome.kind === 'error') {
          log.warn(`config ${key}: ${outcome.reason}`)
          error ??= outcome
        }
        if (deadline.aborted) break
      }
      // Every server said "missing": that is an answer worth caching. Any failure is not.
      return error ?? { kind: 'missing' }
    }

    return {
      async config(ctx, key) {
        if (opts.keys && !opts.keys.has(key)) return
        if (key === '.' || key === '..') return
        let outcome: FetchOutcome | undefined = cache.fresh(key)
        if (!outcome) {
          outcome = await cache.join(key, ctx.signal, (s) => ask(key, s))
          if (outcome === undefined) return // our caller gave up; files answer if anyone still asks
          if (outcome.kind === 'error') {
            const stale = cache.stale(key)
            if (stale) ctx.log.warn(`config ${key}: serving the cached answer after an error`)
            outcome = stale ?? outcome
          } else cache.store(key, outcome)
        }
        if (outcome.kind !== 'found') return
        ctx.log.debug(`config ${key}: ${outcome.lines.length} values over HTTP`)
        return ok(outcome.lines)
      },
    }
  },
})
