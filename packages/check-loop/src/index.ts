/**
 * check_loop (qpsmtpd's `loop`): a message that has already passed through `max` hops is
 * refused, counting Received and Delivered-To fields. It is a kluge, as qmail-smtpd's own
 * hop count is, but it stops a message from looping for ever between misconfigured hosts.
 */
import { definePlugin, dsn } from '@postern/core'
import { peerDependencies } from '../package.json'

/** qmail's MAXHOPS. */
const DEFAULT_MAX = 100

export default definePlugin({
  name: 'check_loop',
  aliases: ['loop'],
  core: peerDependencies['@postern/core'],
  description: 'Refuses messages with too many Received / Delivered-To headers',
  setup({ args }) {
    // qpsmtpd's loop reads `max N`; the older check_loop took the number as the first word.
    const first = args.at(0)
    const text = args.has('max') ? args.get('max') : first && /^\d+$/.test(first) ? first : undefined
    const max = text === undefined ? DEFAULT_MAX : Number(text)
    if (!Number.isInteger(max) || max < 1) throw new Error(`max must be a positive integer, not ${text}`)
    return {
      data_post(ctx) {
        const header = ctx.transaction.header
        if (!header) return
        const hops = header.count('Received') + header.count('Delivered-To')
        if (hops < max) {
          ctx.log.result('pass', `${hops} hops`)
          return
        }
        ctx.log.result('fail', `${hops} hops, max ${max}`)
        return dsn.tooManyHops('Too many hops. This message is looping.')
      },
    }
  },
})
