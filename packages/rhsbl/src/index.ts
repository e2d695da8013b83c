/**
 * rhsbl: the envelope sender's domain (and, with `check_helo 1`, the HELO name) against
 * right-hand-side DNS blocklists. Lookups start at MAIL and are read at RCPT: old clients misread
 * a 5xx at MAIL, and postmaster stays reachable.
 */
import {
  DENYSOFT,
  definePlugin,
  dsn,
  immunity,
  isSpecialRecipient,
  lookupDomain,
  parseRejectMode,
  type Transaction,
  type TransactionContext,
} from '@postern/core'
import {
  createZoneBreakers,
  parseDnsErrorPolicy,
  parseZoneBreakerArgs,
  replySafe,
  ZONE_SKIPPED,
} from '@postern/dns-lists'
import { peerDependencies } from '../package.json'
import { checkDomains, type DomainCheck, type Listed, type Role } from './lookup.js'
import { parseZones } from './zones.js'

/** Transaction note: the reply text of the listing (qpsmtpd's `rhsbl` note). */
export const RHSBL_NOTE = 'rhsbl'

export { checkDomains, type DomainAnswer, type DomainCheck } from './lookup.js'
export { parseZones, type Zone } from './zones.js'

function reply(hit: Listed): string {
  const fill = (t: string) => t.replaceAll('%DOMAIN%', hit.domain).replaceAll('%ZONE%', hit.zone.name)
  const who = hit.role === 'helo' ? `HELO ${hit.domain}` : hit.domain
  if (hit.zone.message !== undefined) {
    // qpsmtpd's messages are predicates ("does not accept bounces."); ours may use placeholders.
    return replySafe(
      /%(DOMAIN|ZONE)%/.test(hit.zone.message)
        ? fill(hit.zone.message)
        : `Mail from ${who} rejected because it ${hit.zone.message}`,
    )
  }
  return hit.text ? replySafe(hit.text) : `Mail from ${who} rejected: listed in ${hit.zone.name}`
}

export default definePlugin({
  name: 'rhsbl',
  core: peerDependencies['@postern/core'],
  description: 'Refuses senders whose domain is listed in right-hand-side DNS blocklists',
  async setup({ config, args, dns, log: pluginLog }) {
    const zones = await config.parsed('rhsbl_zones', parseZones)
    const mode = parseRejectMode(args)
    const onDnsError = parseDnsErrorPolicy(args.get('dns_error'), 'pass')
    const checkHelo = args.bool('check_helo', false)
    // A zone that stops answering is skipped for a while (zone_failures, zone_cooldown) rather
    // than costing every new sender a timeout; its opening and closing are logged here, once.
    const breakers = createZoneBreakers({ ...parseZoneBreakerArgs(args), log: pluginLog })
    const checks = new WeakMap<Transaction, Promise<DomainCheck | undefined>>()

    async function run(ctx: TransactionContext): Promise<DomainCheck | undefined> {
      const list = await zones.get()
      const sender = ctx.transaction.sender
      if (!list.length || !sender || sender.isNull) return undefined
      const names: { domain: string; role: Role }[] = []
      const from = lookupDomain(sender.host)
      if (from) names.push({ domain: from, role: 'sender' })
      const helo = checkHelo ? lookupDomain(ctx.connection.helloHost) : undefined
      if (helo && helo !== from) names.push({ domain: helo, role: 'helo' })
      if (!names.length) return undefined
      return checkDomains(dns, names, list, breakers)
    }

    function check(ctx: TransactionContext): Promise<DomainCheck | undefined> {
      let pending = checks.get(ctx.transaction)
      if (!pending) {
        const log = ctx.log
        pending = run(ctx).catch((err: unknown) => {
          log.error(`lookup failed: ${(err as Error).message}`)
          return undefined
        })
        checks.set(ctx.transaction, pending)
      }
      return pending
    }

    return {
      mail(ctx) {
        if (ctx.isImmune()) return
        void check(ctx) // started now, read at RCPT
      },
      async rcpt(ctx, recipient) {
        const immune = immunity(ctx.connection, ctx.transaction, recipient)
        if (immune) {
          ctx.log.result('skip', `immune (${immune})`)
          return
        }
        const result = await check(ctx)
        if (!result) return
        if ((result.listed || result.errors.length) && isSpecialRecipient(recipient)) {
          ctx.log.result('skip', `${recipient.user} is always reachable`)
          return
        }
        if (result.listed) {
          const text = reply(result.listed)
          ctx.transaction.notes.set(RHSBL_NOTE, text)
          const why = `${result.listed.domain} listed in ${result.listed.zone.name} (${result.listed.codes.join(',')})`
          return ctx.reject(text, '5.7.1', why)
        }
        if (!result.errors.length) {
          ctx.log.result('pass', `not listed (${result.answers.length} lookups)`)
          return
        }
        const down = result.errors
          .map(
            (e) =>
              `${e.domain}.${e.zone.name} ${e.code === ZONE_SKIPPED ? 'skipped (not answering)' : e.code}`,
          )
          .join(', ')
        if (onDnsError === 'pass') {
          ctx.log.result('error', `no answer for ${down}; passing (dns_error pass)`)
          return
        }
        const verdict = dsn.tempResolverFailed('RHSBL lookup failed, try again later')
        if (mode === 'off') ctx.log.result('fail, tolerated', `no answer for ${down}`)
        else if (mode === 'naughty') ctx.deferReject(String(verdict.message), DENYSOFT, verdict.enhanced)
        else {
          ctx.log.result('fail', `no answer for ${down}`)
          return verdict
        }
      },
    }
  },
})
