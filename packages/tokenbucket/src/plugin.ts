/**
 * tokenbucket (qpsmtpd's berkeley_tokenbucketadd): counts chosen refusals per client IP with a
 * token bucket, and puts an IP that goes over the rate on ipblacklist's blacklist for a while.
 * The classic use: count recipients refused at RCPT, which stops a dictionary attack.
 *
 * Events arrive through the `deny` meta hook (after any plugin refused something). Bucket state
 * lives in this plugin's store namespace; blacklist entries are written, in ipblacklist's
 * documented format, to the shared `ipblacklist` namespace. A store that is down or slow loses
 * the count, never the mail.
 */
import {
  definePlugin,
  denysoftDisconnect,
  formatDuration,
  parseDuration,
  type SessionContext,
  type TransactionContext,
  type VerdictEvent,
  withDeadline,
} from '@postern/core'
import { addToBlacklist, BLACKLIST_NAMESPACE, IGNORE_NOTE, normalizeIp } from '@postern/ipblacklist'
import { peerDependencies } from '../package.json'
import { type BucketConfig, formatState, parseState, take } from './bucket.js'
import { parseEvents } from './events.js'

/** Connection note: `{ tokens }` after each counted event, `blacklisted: true` once over the rate. */
export const BUCKET_NOTE = 'tokenbucket'

function duration(value: string, name: string): number {
  const ms = parseDuration(value)
  if (ms === undefined || ms <= 0) throw new Error(`${name}: not a duration: ${value} (e.g. 60s, 10m, 1h)`)
  return ms
}

export default definePlugin({
  name: 'tokenbucket',
  aliases: ['berkeley_tokenbucketadd', 'berkeley_tokenbucket'],
  core: peerDependencies['@postern/core'],
  description: 'Blacklists IPs whose refusals come faster than a token bucket allows',
  setup({ args, store, sharedStore, instance }) {
    const rate = args.number('rate', 10)
    if (!(rate > 0)) throw new Error(`rate must be a positive number, not ${args.get('rate')}`)
    const bucket: BucketConfig = {
      rate,
      period: duration(args.string('period', '60s'), 'period'),
      burst: args.number('burst', rate),
    }
    if (!(bucket.burst >= 1)) throw new Error(`burst must be at least 1, not ${args.get('burst')}`)
    const events = parseEvents(args.string('events', 'rcpt'), args.bool('soft', false))
    const blacklistFor = duration(args.string('blacklist_ttl', '1h'), 'blacklist_ttl')
    const drop = args.bool('drop', true)
    const storeTimeout = args.number('store_timeout', 2) * 1000
    // sharedStore came with core's Store work; say so plainly on a core without it.
    if (typeof sharedStore !== 'function')
      throw new Error('tokenbucket needs a @postern/core whose setup gives sharedStore()')
    const blacklist = sharedStore(BLACKLIST_NAMESPACE)
    const what = `${events.description} faster than ${rate} per ${formatDuration(bucket.period)}`

    // One update at a time per IP in this process, so the get-compute-set of one event never
    // races another event of the same client here. Across processes two events of one IP
    // arriving within a store round trip can count as one; see the README.
    const pending = new Map<string, Promise<void>>()
    const serially = (ip: string, job: () => Promise<void>): Promise<void> => {
      const run = (pending.get(ip) ?? Promise.resolve()).then(job)
      const tail = run.catch(() => {})
      pending.set(ip, tail)
      void tail.then(() => {
        if (pending.get(ip) === tail) pending.delete(ip)
      })
      return run
    }

    async function count(ctx: SessionContext, ip: string): Promise<void> {
      const key = `${instance}:${ip}`
      const now = Date.now()
      const prior = parseState(await withDeadline(store.get(key), storeTimeout, ctx.signal))
      const r = take(bucket, prior, now)
      await withDeadline(store.set(key, formatState(r.state), { ttl: r.refillIn }), storeTimeout, ctx.signal)
      ctx.connection.notes.set(BUCKET_NOTE, { tokens: r.state.tokens })
      if (r.conform) {
        ctx.log.debug(`${ip}: ${r.state.tokens.toFixed(2)} tokens left`)
        return
      }
      const reason = `tokenbucket: ${what}`
      await withDeadline(
        addToBlacklist(blacklist, ip, { ttl: blacklistFor, reason }),
        storeTimeout,
        ctx.signal,
      )
      ctx.connection.notes.set(BUCKET_NOTE, { tokens: r.state.tokens, blacklisted: true })
      ctx.log.result('fail', `${ip} ${what}: blacklisted for ${formatDuration(blacklistFor)}`)
    }

    const dropped = (ctx: TransactionContext) => {
      if (!drop || !ctx.connection.notes.value<{ blacklisted?: boolean }>(BUCKET_NOTE)?.blacklisted) return
      return denysoftDisconnect(
        `Too many refused commands from ${ctx.connection.remoteIp}; try again in ${formatDuration(blacklistFor)}`,
        '4.7.1',
      )
    }

    return {
      async deny(ctx: SessionContext, event: VerdictEvent) {
        if (event.plugin === ctx.plugin.instance || !events.matches(event)) return
        if (ctx.connection.notes.flag(IGNORE_NOTE) || ctx.isImmune()) return
        const ip = normalizeIp(ctx.connection.remoteIp)
        if (!ip) return
        try {
          await serially(ip, () => count(ctx, ip))
        } catch (err) {
          ctx.log.result('error', `store unavailable, ${ip} not counted: ${(err as Error).message}`)
        }
      },
      mail: { order: 'pre', handler: dropped },
      rcpt: { order: 'pre', handler: dropped },
    }
  },
})
