/**
 * check_spamhelo (qpsmtpd's `helo`): refuses HELO/EHLO names listed in `config/badhelo` — names
 * like yahoo.com that the real Yahoo never uses but spamware does — and, by `policy`, names
 * that are wrong on their face: `localhost` from afar, a bare IP, someone else's address
 * literal, a name without a dot. The checks that need DNS are another plugin's job.
 */
import { definePlugin, type SessionContext } from '@postern/core'
import { peerDependencies } from '../package.json'
import { parseBadHelo } from './badhelo.js'
import { CHECKS, type CheckName, DNS_CHECKS, isCheckName, POLICIES } from './checks.js'

export { parseBadHelo } from './badhelo.js'
export { CHECKS, POLICIES } from './checks.js'

/** Connection note set by whitelist plugins for a trusted HELO name. */
const WHITELIST_HELO = 'whitelisthelo'

function chosenChecks(policy: string | undefined, tests: string | undefined): CheckName[] {
  if (tests !== undefined) {
    const out: CheckName[] = []
    for (const raw of tests.split(',')) {
      const name = raw.trim()
      if (name === 'is_in_badhelo' || name === '' || DNS_CHECKS.has(name)) continue
      if (!isCheckName(name)) throw new Error(`tests: unknown test "${name}"`)
      out.push(name)
    }
    return out
  }
  const p = (policy ?? 'lenient').toLowerCase()
  const checks = POLICIES[p]
  if (!checks) throw new Error(`policy must be lenient, rfc or strict, not ${policy}`)
  return [...checks]
}

export default definePlugin({
  name: 'check_spamhelo',
  aliases: ['helo'],
  core: peerDependencies['@postern/core'],
  description: 'Refuses bad HELO names: the badhelo list and the checks that need no DNS',
  async setup({ args, config, log }) {
    const badhelo = await config.parsed('badhelo', parseBadHelo)
    const checks = chosenChecks(args.get('policy'), args.get('tests'))
    const useList =
      args.get('tests') === undefined ||
      args
        .get('tests')!
        .split(',')
        .some((t) => t.trim() === 'is_in_badhelo')
    if (['rfc', 'strict'].includes(args.get('policy')?.toLowerCase() ?? ''))
      log.info('the DNS tests of this policy (forward, reverse, matching DNS) are not run by this plugin')
    const addHeader = args.bool('add_header', false)

    async function check(ctx: SessionContext, host: string) {
      if (ctx.isImmune() || ctx.connection.notes.flag(WHITELIST_HELO)) {
        ctx.log.result('skip', 'immune')
        return
      }
      if (useList) {
        const hit = (await badhelo.get()).match(host)
        if (hit)
          return ctx.reject(
            `I do not believe you are ${host}.`,
            '5.7.1',
            `badhelo ${hit.value} (${hit.file}:${hit.line})`,
          )
      }
      const facts = { host, remoteIp: ctx.connection.remoteIp }
      for (const name of checks) {
        const failure = CHECKS[name](facts)
        if (failure) return ctx.reject(failure.message, failure.enhanced, `${name}: ${failure.log}`)
      }
      ctx.log.result('pass')
      return
    }

    return {
      helo: check,
      ehlo: check,
      ...(addHeader
        ? {
            data_post_headers(ctx) {
              const host = ctx.connection.helloHost
              // The value is the client's word: keep it on one line whatever it holds.
              if (host) ctx.transaction.header?.add('X-HELO', host.replace(/[\r\n]+/g, ' ').slice(0, 255))
            },
          }
        : {}),
    }
  },
})
