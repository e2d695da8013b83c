/**
 * ipblacklist (qpsmtpd's berkeley_ipblacklist): at connect, looks the client's IP up in the
 * blacklist kept in the store and refuses (deny), defers (denysoft) or only logs (log). Entries
 * carry a reason and expire by themselves; tokenbucket and `postern store add` write them.
 *
 * A blacklist that cannot be read never blocks mail: when the store is down or slow the client
 * passes, with an error line in the log.
 */
import { definePlugin, deny, denysoft, type SessionContext, withDeadline } from '@postern/core'
import { peerDependencies } from '../package.json'
import { parseEntry } from './entry.js'
import { normalizeIp } from './ip.js'

/** Connection note set by ipblacklist_ignore (and anything else that vouches for an IP). */
export const IGNORE_NOTE = 'ipblacklist_ignore'
/** Connection note ipblacklist sets for a listed client: `{ ip, reason, added?, until? }`. */
export const LISTED_NOTE = 'ipblacklist'

type Action = 'deny' | 'denysoft' | 'log'
const ACTIONS: ReadonlySet<string> = new Set(['deny', 'denysoft', 'log'])

function when(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export default definePlugin({
  name: 'ipblacklist',
  aliases: ['berkeley_ipblacklist'],
  core: peerDependencies['@postern/core'],
  description: 'Refuses, defers or logs clients whose IP is on the blacklist in the store',
  setup({ args, store }) {
    // `action denysoft`, or the action alone as the first word (`ipblacklist denysoft`).
    const first = args.at(0)?.toLowerCase()
    const action = (args.get('action') ?? (first && ACTIONS.has(first) ? first : 'deny')).toLowerCase()
    if (!ACTIONS.has(action)) throw new Error(`action must be deny, denysoft or log, not ${action}`)
    const storeTimeout = args.number('store_timeout', 2) * 1000

    return {
      async connect(ctx: SessionContext) {
        if (ctx.connection.notes.flag(IGNORE_NOTE)) {
          ctx.log.result('skip', `ignored (${String(ctx.connection.notes.get(IGNORE_NOTE))})`)
          return
        }
        if (ctx.isImmune()) {
          ctx.log.result('skip', 'immune')
          return
        }
        const ip = normalizeIp(ctx.connection.remoteIp)
        if (!ip) {
          ctx.log.result('skip', `no IP to look up (${ctx.connection.remoteIp})`)
          return
        }
        let value: string | undefined
        try {
          value = await withDeadline(store.get(ip), storeTimeout, ctx.signal)
        } catch (err) {
          ctx.log.result('error', `store unavailable, passing ${ip}: ${(err as Error).message}`)
          return
        }
        if (value === undefined) {
          ctx.log.result('pass', `${ip} not listed`)
          return
        }
        const entry = parseEntry(value)
        ctx.connection.notes.set(LISTED_NOTE, { ip, ...entry })
        const why = entry.reason ? `: ${entry.reason}` : ''
        const until = entry.until ? ` until ${when(entry.until)}` : ''
        if ((action as Action) === 'log') {
          ctx.log.result('fail, tolerated', `${ip} listed${until}${why}`)
          return
        }
        ctx.log.result('fail', `${ip} listed${until}${why} (${action})`)
        const text = `Your IP address ${ip} is blacklisted${until}${why}`
        return action === 'denysoft' ? denysoft(text, '4.7.1') : deny(text, '5.7.1')
      },
    }
  },
})
