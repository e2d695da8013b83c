/**
 * dnsbl: the client's IP (IPv4, or IPv6 in nibble form) against DNS blocklists. The lookups start
 * when the client connects and are read at RCPT, so they run while the client says HELO and MAIL;
 * refusing at RCPT (not at connect) lets postmaster and abuse mail through, and lets whitelisting
 * plugins that decide later still exempt the client.
 */
import { isIP } from 'node:net'
import {
  type Connection,
  DENYSOFT,
  definePlugin,
  dsn,
  immunity,
  isSpecialRecipient,
  type Logger,
  parseRejectMode,
  plainIp,
  type SessionContext,
} from '@postern/core'
import {
  createZoneBreakers,
  parseDnsErrorPolicy,
  parseZoneBreakerArgs,
  replySafe,
  ZONE_SKIPPED,
} from '@postern/dns-lists'
import { peerDependencies } from '../package.json'
import { parseAllow } from './allow.js'
import { checkIp, type IpCheck, lookupDeadline } from './lookup.js'
import { parseZones } from './zones.js'

/** Connection note: the reply text of the listing, once known (qpsmtpd's `dnsbl` note). */
export const DNSBL_NOTE = 'dnsbl'

export { type AllowList, parseAllow } from './allow.js'
export { checkIp, type IpCheck, lookupDeadline, lookupZone, type ZoneAnswer } from './lookup.js'
export { parseZoneLine, parseZones, type Zone } from './zones.js'

export default definePlugin({
  name: 'dnsbl',
  core: peerDependencies['@postern/core'],
  description: 'Refuses clients whose IP is listed in DNS blocklists',
  async setup({ config, args, dns, log: pluginLog }) {
    const zones = await config.parsed('dnsbl_zones', parseZones)
    const allow = await config.parsed('dnsbl_allow', parseAllow)
    const mode = parseRejectMode(args)
    const onDnsError = parseDnsErrorPolicy(args.get('dns_error'), 'pass')
    const ipv6 = args.bool('ipv6', true)
    // qpsmtpd's `timeout`: seconds all of one client's lookups may take (A and TXT together).
    const deadlineMs = lookupDeadline(args.get('timeout'))
    // A zone that stops answering is skipped for a while (zone_failures, zone_cooldown) rather
    // than costing every new client a timeout; its opening and closing are logged here, once.
    const breakers = createZoneBreakers({ ...parseZoneBreakerArgs(args), log: pluginLog })
    // One lookup per connection, shared by every RCPT; keyed by the connection object so it
    // goes away with it.
    const checks = new WeakMap<Connection, Promise<IpCheck | undefined>>()
    const reported = new WeakSet<Connection>()

    async function run(connection: Connection, log: Logger): Promise<IpCheck | undefined> {
      const ip = plainIp(connection.remoteIp)
      const family = isIP(ip)
      if (!family || (family === 6 && !ipv6)) return undefined
      if ((await allow.get()).has(ip)) {
        log.result('skip', `${ip} is in dnsbl_allow`)
        return undefined
      }
      const list = await zones.get()
      if (!list.length) return undefined
      return checkIp(dns, ip, list, deadlineMs, breakers)
    }

    function check(ctx: SessionContext): Promise<IpCheck | undefined> {
      let pending = checks.get(ctx.connection)
      if (!pending) {
        const log = ctx.log
        pending = run(ctx.connection, log).catch((err: unknown) => {
          log.error(`lookup failed: ${(err as Error).message}`)
          return undefined
        })
        checks.set(ctx.connection, pending)
      }
      return pending
    }

    async function replyFor(ctx: SessionContext, result: NonNullable<IpCheck['listed']>): Promise<string> {
      const ip = plainIp(ctx.connection.remoteIp)
      const fill = (t: string) => t.replaceAll('%IP%', ip).replaceAll('%ZONE%', result.zone.name)
      const own = result.zone.message ?? result.text
      const line = own ? replySafe(fill(own)) : `Your IP address ${ip} is listed in ${result.zone.name}`
      const intro = (await config.list('dnsbl_rejectmsg')).map((l) => replySafe(fill(l)))
      return [...intro, line].join('\n')
    }

    /** Logs the outcome once per connection, whatever the number of RCPTs. */
    function report(ctx: SessionContext, result: IpCheck): void {
      if (reported.has(ctx.connection)) return
      reported.add(ctx.connection)
      for (const a of result.answers) {
        if (a.status === 'odd')
          ctx.log.warn(
            `${a.zone.name} answered ${a.codes.join(',')}: not a listing (list error or dead list?)`,
          )
        // A skipped zone was logged when it began to be skipped, not once per client.
        if (a.status === 'error' && a.code !== ZONE_SKIPPED)
          ctx.log.warn(`${a.zone.name}: lookup failed (${a.code})`)
      }
      if (!result.listed && !result.errors.length)
        ctx.log.result('pass', `not listed in ${result.answers.length} zone(s)`)
    }

    /** The verdict, or undefined to let the client through. */
    async function decide(ctx: SessionContext, result: IpCheck | undefined) {
      if (!result) return undefined
      report(ctx, result)
      if (result.listed) {
        const text = await replyFor(ctx, result.listed)
        ctx.connection.notes.set(DNSBL_NOTE, text)
        const why = `${result.listed.zone.name} (${result.listed.codes.join(',')})`
        return ctx.reject(text, '5.7.1', `listed in ${why}`)
      }
      if (!result.errors.length) return undefined
      const zonesDown = result.errors
        .map((e) => (e.code === ZONE_SKIPPED ? `${e.zone.name} (skipped: not answering)` : e.zone.name))
        .join(', ')
      if (onDnsError === 'pass') {
        ctx.log.result('error', `no answer from ${zonesDown}; passing (dns_error pass)`)
        return undefined
      }
      const verdict = dsn.tempResolverFailed('DNSBL lookup failed, try again later')
      if (mode === 'off') ctx.log.result('fail, tolerated', `no answer from ${zonesDown}`)
      else if (mode === 'naughty') ctx.deferReject(String(verdict.message), DENYSOFT, verdict.enhanced)
      else {
        ctx.log.result('fail', `no answer from ${zonesDown}`)
        return verdict
      }
      return undefined
    }

    return {
      async connect(ctx) {
        if (ctx.isImmune()) return
        const pending = check(ctx)
        // A deferred reject must be stored before the phase that enforces it, which may come
        // before RCPT: wait here (bounded by the resolver's deadline).
        if (mode === 'naughty') await decide(ctx, await pending)
      },
      async rcpt(ctx, recipient) {
        if (mode === 'naughty') return
        const immune = immunity(ctx.connection, ctx.transaction, recipient)
        if (immune) {
          ctx.log.result('skip', `immune (${immune})`)
          return
        }
        const result = await check(ctx)
        if (result && (result.listed || result.errors.length) && isSpecialRecipient(recipient)) {
          ctx.log.result('skip', `${recipient.user} is always reachable`)
          return
        }
        return decide(ctx, result)
      },
    }
  },
})
