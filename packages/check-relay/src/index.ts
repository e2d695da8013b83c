/**
 * check_relay: at connect, decides whether the client may relay (sets `connection.relayClient`,
 * which rcpt_ok and the `isImmune()` convention read). In order, as qpsmtpd 1.0's relay:
 *
 * 1. norelayclients: a client listed there may not relay, whatever comes next;
 * 2. $RELAYCLIENT in the environment (qmail's tcpserver convention): every client may relay;
 * 3. relayclients, morerelayclients: an IP, a prefix ending in `.` or `:`, or a CIDR block;
 * 4. morerelayclients.cdb: qpsmtpd's compiled map, keyed by IP or dotted prefix.
 *
 * With `only 1` the server is a smarthost: at RCPT, relay clients are accepted and every other
 * client is refused (550 5.7.1 Relaying denied).
 */
import { CdbFile, IpList, ipLookupKeys } from '@postern/address-lists'
import { definePlugin, ok } from '@postern/core'
import { peerDependencies } from '../package.json'

export default definePlugin({
  name: 'check_relay',
  aliases: ['relay'],
  core: peerDependencies['@postern/core'],
  description: 'Lets clients listed in relayclients relay',
  async setup({ config, args, log }) {
    const only = args.bool('only', false)
    const norelay = await config.parsed('norelayclients', (lines) => IpList.parse(lines))
    const relay = await config.parsed('relayclients', (lines) => IpList.parse(lines))
    const more = await config.parsed('morerelayclients', (lines) => IpList.parse(lines))
    const cdb = new CdbFile(config.dir, 'morerelayclients.cdb')
    if (process.env.RELAYCLIENT !== undefined)
      log.warn('RELAYCLIENT is set in the environment: every client not in norelayclients may relay')

    return {
      async connect(ctx) {
        const c = ctx.connection
        const ip = c.remoteIp
        const no = (await norelay.get()).match(ip)
        if (no) {
          c.relayClient = false
          return ctx.log.result('skip', `${ip} in norelayclients (${no.file}:${no.line})`)
        }
        if (process.env.RELAYCLIENT !== undefined) {
          c.relayClient = true
          return ctx.log.result('pass', 'enabled by $RELAYCLIENT')
        }
        const hit = (await relay.get()).match(ip) ?? (await more.get()).match(ip)
        if (hit) {
          c.relayClient = true
          return ctx.log.result('pass', `${ip} matches ${hit.text} (${hit.file}:${hit.line})`)
        }
        const key = ipLookupKeys(ip).find((k) => cdb.has(k))
        if (key) {
          c.relayClient = true
          return ctx.log.result('pass', `${ip} matches ${key} in morerelayclients.cdb`)
        }
        ctx.log.result('skip', `${ip} may not relay`)
      },
      ...(only
        ? {
            rcpt: (ctx) =>
              ctx.connection.relayClient
                ? ok()
                : ctx.reject('Relaying denied', '5.7.1', 'relay only: not a relay client'),
          }
        : {}),
    }
  },
})
