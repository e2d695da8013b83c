/**
 * rcpt_ok: the final RCPT arbiter, listed after every other rcpt plugin. A recipient is
 * accepted when its host is `me`, is in rcpthosts or morercpthosts (a `.example.com` entry
 * covers every subdomain), or is a key of morercpthosts.cdb (qmail's compiled form); a bare
 * `postmaster` is accepted too. Relay clients may send anywhere. Everything else is refused:
 * 550 5.7.1 Relaying denied.
 */
import { hostname } from 'node:os'
import { CdbFile, HostList, suffixesOf } from '@postern/address-lists'
import { definePlugin, NOTE, ok } from '@postern/core'
import { peerDependencies } from '../package.json'

/**
 * Who may relay through rcpt_ok. qpsmtpd 1.0 accepted any "immune" session, which includes a
 * whitelisted envelope sender: anyone who forges such a sender could relay. Postern lets only
 * relay clients relay unless told otherwise.
 */
type Immune = 'relay' | 'host' | 'all'

function parseImmune(text: string | undefined): Immune {
  if (text === undefined || text === 'relay') return 'relay'
  if (text === 'host' || text === 'all') return text
  throw new Error(`rcpt_ok: immune must be relay, host or all, not "${text}"`)
}

export default definePlugin({
  name: 'rcpt_ok',
  core: peerDependencies['@postern/core'],
  description: 'Accepts recipients at the hosts in rcpthosts, morercpthosts and me; refuses the rest',
  async setup({ config, args }) {
    const immune = parseImmune(args.get('immune'))
    const rcpthosts = await config.parsed('rcpthosts', HostList.parse)
    const morercpthosts = await config.parsed('morercpthosts', HostList.parse)
    const me = await config.parsed('me', (lines) =>
      (lines[0]?.value.split(/\s+/)[0] ?? hostname()).toLowerCase(),
    )
    const cdb = new CdbFile(config.dir, 'morercpthosts.cdb')

    const local = async (host: string): Promise<string | undefined> => {
      if (host === (await me.get())) return 'me'
      const a = (await rcpthosts.get()).match(host)
      if (a) return `rcpthosts (${a})`
      const b = (await morercpthosts.get()).match(host)
      if (b) return `morercpthosts (${b})`
      for (const key of [host, ...suffixesOf(host)]) if (cdb.has(key)) return `morercpthosts.cdb (${key})`
      return undefined
    }

    return {
      async rcpt(ctx, recipient) {
        const c = ctx.connection
        if (c.relayClient) return ok()
        if (immune !== 'relay' && c.notes.flag(NOTE.whitelistHost)) return ok()
        if (immune === 'all' && ctx.transaction.notes.flag(NOTE.whitelistSender)) return ok()
        // The engine lets only postmaster through without a domain (RFC 5321 §4.1.1.3); a bare
        // <abuse> is refused with 501 before any plugin sees it.
        if (!recipient.host && recipient.user.toLowerCase() === 'postmaster') {
          ctx.log.result('pass', 'bare postmaster')
          return ok()
        }
        const why = recipient.host ? await local(recipient.host.toLowerCase()) : undefined
        if (why) {
          ctx.log.result('pass', `${recipient.host} in ${why}`)
          return ok()
        }
        return ctx.reject(
          'Relaying denied',
          '5.7.1',
          `${recipient.host || recipient.address} is not a local host`,
        )
      },
    }
  },
})
