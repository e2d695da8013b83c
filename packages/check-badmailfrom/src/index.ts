/**
 * check_badmailfrom: senders listed in config/badmailfrom (an address, `@host`, or a pattern,
 * each with an optional reason) are refused — at RCPT, not at MAIL: some old clients misread a
 * 5xx at MAIL and retry forever, so the verdict is remembered and given for every recipient.
 * This is qmail-smtpd's badmailfrom with qpsmtpd's reasons and patterns.
 */

import { AddressList, recipientImmunity, rejectOnce, sessionImmunity } from '@postern/address-lists'
import { definePlugin } from '@postern/core'
import { peerDependencies } from '../package.json'

/** Transaction note holding the refusal text until RCPT (qpsmtpd's note name). */
export const NOTE_BADMAILFROM = 'badmailfrom'
const DEFAULT_REASON = 'Your envelope sender is in my badmailfrom list'

export default definePlugin({
  name: 'check_badmailfrom',
  aliases: ['badmailfrom'],
  core: peerDependencies['@postern/core'],
  description: 'Refuses every recipient of a sender listed in config/badmailfrom',
  async setup({ config, log }) {
    const list = await config.parsed('badmailfrom', (lines) =>
      AddressList.parse(lines, { warn: (message) => log.warn(message) }),
    )
    return {
      async mail(ctx, sender) {
        if (sender.isNull) return ctx.log.result('skip', 'null sender')
        const immune = sessionImmunity(ctx.connection, ctx.transaction)
        if (immune) return ctx.log.result('skip', immune)
        const hit = (await list.get()).match(sender)
        if (!hit) return ctx.log.result('pass')
        ctx.transaction.notes.set(NOTE_BADMAILFROM, hit.reason ?? DEFAULT_REASON)
        ctx.log.info(
          `sender ${sender.address} matches ${hit.text} (${hit.file}:${hit.line}); refused at RCPT`,
        )
      },
      rcpt(ctx, recipient) {
        const reason = ctx.transaction.notes.string(NOTE_BADMAILFROM)
        if (!reason) return
        const immune = recipientImmunity(recipient)
        if (immune) return ctx.log.result('skip', immune)
        return rejectOnce(ctx, 'badmailfrom_rejected', reason, '5.7.1', `sender in badmailfrom: ${reason}`)
      },
    }
  },
})
