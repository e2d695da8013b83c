/**
 * majordomo: enforces majordomo's `restrict_post` at RCPT. A recipient whose local part names
 * a list in majordomo's list directory (`<listdir>/<list>.config` exists) and whose config sets
 * `restrict_post = file …` is refused unless the sender is listed in one of those files
 * (relative to the list directory). Refusing at RCPT means a mixed message (a list and a
 * person) is still delivered to the person, and the sender's MTA reports the list.
 */
import path from 'node:path'
import { definePlugin, denysoft, type EnhancedCode } from '@postern/core'
import { peerDependencies } from '../package.json'
import { FileCache, members, restrictPost } from './files.js'

export { members, restrictPost } from './files.js'

/** List names majordomo accepts; anything else (`..`, `/`) cannot name a file in listdir. */
const LIST_NAME = /^[a-z0-9][a-z0-9._+-]*$/
/** RFC 3463 X.7.2: mailing list expansion prohibited, for this sender. */
const ENHANCED: EnhancedCode = '5.7.2'

export default definePlugin({
  name: 'majordomo',
  core: peerDependencies['@postern/core'],
  description: "Enforces majordomo's restrict_post: only list members may post",
  setup({ args }) {
    const listdir = path.resolve(args.get('listdir') ?? '/usr/local/majordomo/lists')
    const domains = args.get('domains')
    const hosts = domains
      ? new Set(
          domains
            .toLowerCase()
            .split(',')
            .map((d) => d.trim())
            .filter(Boolean),
        )
      : undefined
    const configs = new FileCache(restrictPost)
    const lists = new FileCache(members)

    return {
      async rcpt(ctx, recipient) {
        if (hosts && !hosts.has(recipient.host)) return
        const list = recipient.user.toLowerCase()
        if (!LIST_NAME.test(list) || list.endsWith('.config')) return
        let files: string[] | undefined
        try {
          files = await configs.get(path.join(listdir, `${list}.config`))
        } catch (err) {
          ctx.log.error(`cannot read the config of list ${list}: ${(err as Error).message}`)
          return denysoft('List configuration unavailable, try again later', '4.3.0')
        }
        if (!files || files.length === 0) return // not a list, or anyone may post
        const sender = ctx.transaction.sender?.address.toLowerCase() ?? ''
        for (const name of files) {
          const file = path.resolve(listdir, name)
          let set: Set<string> | undefined
          try {
            set = await lists.get(file)
          } catch (err) {
            ctx.log.error(`cannot read ${file}: ${(err as Error).message}`)
            continue
          }
          if (!set) ctx.log.warn(`restrict_post file ${file} of list ${list} does not exist`)
          if (sender && set?.has(sender)) {
            ctx.log.result('pass', `${sender} may post to ${list}`)
            return
          }
        }
        return ctx.reject(
          `You are not allowed to post to the list ${list}`,
          ENHANCED,
          `${sender || '<>'} is not in restrict_post of ${list}`,
        )
      },
    }
  },
})
