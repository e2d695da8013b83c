/**
 * ipblacklist_ignore (qpsmtpd's berkeley_ipblacklist_ignore): IPs and CIDR networks that
 * ipblacklist and tokenbucket leave alone, however they are listed or however often they fail.
 *
 * Plugins do not call each other, so the exception travels as a connection note: at connect
 * (ordered before every other plugin's connect hook) this plugin sets `ipblacklist_ignore` to
 * the matching entry; ipblacklist and tokenbucket skip a connection that has the note.
 */
import {
  definePlugin,
  type IpNetwork,
  ipListFromLines,
  parseIpNetwork,
  type SessionContext,
} from '@postern/core'
import { peerDependencies } from '../package.json'

/** The connection note ipblacklist and tokenbucket honour; its value is the matching entry. */
export const IGNORE_NOTE = 'ipblacklist_ignore'

const CORE_ARGS: ReadonlySet<string> = new Set(['loglevel', 'hook_timeout', 'on_error'])

export default definePlugin({
  name: 'ipblacklist_ignore',
  aliases: ['berkeley_ipblacklist_ignore'],
  core: peerDependencies['@postern/core'],
  description: 'CIDR exceptions for ipblacklist and tokenbucket',
  async setup({ args, config }) {
    // Networks may also be given on the config/plugins line (`ipblacklist_ignore 10.0.0.0/8`).
    // The core's own arguments (`loglevel +1`, `hook_timeout 5`) may sit on the same line.
    const fromArgs: IpNetwork[] = []
    const words = args.words.filter((w) => w.trim())
    for (let i = 0; i < words.length; i++) {
      if (CORE_ARGS.has(words[i]!)) {
        i++
        continue
      }
      const e = parseIpNetwork(words[i]!)
      if (typeof e === 'string') throw new Error(e)
      fromArgs.push(e)
    }
    const list = await config.parsed('ipblacklist_ignore', (lines) =>
      ipListFromLines(lines, { initial: fromArgs }),
    )
    return {
      connect: {
        order: 'pre',
        async handler(ctx: SessionContext) {
          const hit = (await list.get()).match(ctx.connection.remoteIp)
          if (!hit) return
          ctx.connection.notes.set(IGNORE_NOTE, hit.text)
          ctx.log.result(
            'info',
            `${ctx.connection.remoteIp} in ${hit.text}: ipblacklist and tokenbucket skip it`,
          )
        },
      },
    }
  },
})
