/**
 * dns_whitelist_soft: the client's IP against DNS allowlists. A listed client gets the connection
 * note `whitelisthost` (core's `NOTE.whitelistHost`), which `ctx.isImmune()` reads, so later
 * filters (dnsbl, rhsbl, check_dns, nodialup, spf, …) let it through. The lookups start at connect
 * and are read at MAIL, before the filters that act on the envelope.
 */
import { isIP } from 'node:net'
import { type Connection, definePlugin, NOTE, plainIp, type SessionContext } from '@postern/core'
import { peerDependencies } from '../package.json'
import { checkIp, type Listed, type ZoneAnswer } from './lookup.js'
import { parseZones } from './zones.js'

export { checkIp, lookupZone, type ZoneAnswer } from './lookup.js'
export { parseZones, type Zone } from './zones.js'

export default definePlugin({
  name: 'dns_whitelist_soft',
  core: peerDependencies['@postern/core'],
  description: 'Whitelists clients listed in DNS allowlists (connection note whitelisthost)',
  async setup({ config, dns }) {
    const zones = await config.parsed('whitelist_zones', parseZones)
    const checks = new WeakMap<Connection, Promise<ZoneAnswer[]>>()
    const collected = new WeakSet<Connection>()

    async function run(connection: Connection): Promise<ZoneAnswer[]> {
      const ip = plainIp(connection.remoteIp)
      if (!isIP(ip)) return []
      return checkIp(dns, ip, await zones.get())
    }

    function check(ctx: SessionContext): Promise<ZoneAnswer[]> {
      let pending = checks.get(ctx.connection)
      if (!pending) {
        const log = ctx.log
        pending = run(ctx.connection).catch((err: unknown) => {
          log.error(`lookup failed: ${(err as Error).message}`)
          return []
        })
        checks.set(ctx.connection, pending)
      }
      return pending
    }

    /** Reads the answers once and sets the note; later calls find the note set. */
    async function collect(ctx: SessionContext): Promise<void> {
      const connection = ctx.connection
      if (connection.notes.flag(NOTE.whitelistHost) || connection.relayClient) return
      const answers = await check(ctx)
      if (collected.has(connection)) return
      collected.add(connection)
      const hit = answers.find((a): a is Listed => a.status === 'listed')
      for (const a of answers) {
        if (a.status === 'odd') ctx.log.warn(`${a.zone.name} answered ${a.codes.join(',')}: not a listing`)
        if (a.status === 'error')
          ctx.log.warn(`${a.zone.name}: lookup failed (${a.code}); not whitelisted by it`)
      }
      if (hit) {
        const why = hit.text ? `${hit.zone.name}: ${hit.text}` : hit.zone.name
        connection.notes.set(NOTE.whitelistHost, why)
        ctx.log.result('pass', `${plainIp(connection.remoteIp)} whitelisted by ${why}`)
      } else if (answers.length) ctx.log.result('skip', 'not whitelisted')
    }

    return {
      connect(ctx) {
        if (ctx.isImmune()) return
        void check(ctx) // started now, read at MAIL
      },
      mail: collect,
      // qpsmtpd read the answers at RCPT; a session that reaches RCPT has passed MAIL, so this
      // only matters when another plugin answered MAIL before us (our MAIL hook never ran).
      rcpt: collect,
    }
  },
})
