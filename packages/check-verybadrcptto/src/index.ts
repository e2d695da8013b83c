/**
 * check_verybadrcptto: one recipient listed in config/verybadrcptto refuses the whole message.
 * That recipient is refused, every later RCPT of the transaction is refused with the same text,
 * and DATA is refused, so recipients accepted before it get nothing either. Entries are as in
 * badrcptto: an address, `@host`, or a pattern, with an optional reason.
 */

import { AddressList, immunity, rejectOnce } from '@postern/address-lists'
import { definePlugin } from '@postern/core'
import { peerDependencies } from '../package.json'

/** Transaction note: the refusal text once a very bad recipient was seen. */
export const NOTE_VERYBADRCPTTO = 'verybadrcptto'

export default definePlugin({
  name: 'check_verybadrcptto',
  core: peerDependencies['@postern/core'],
  description: 'One recipient in config/verybadrcptto refuses the whole message',
  async setup({ config, log }) {
    const list = await config.parsed('verybadrcptto', (lines) =>
      AddressList.parse(lines, { warn: (message) => log.warn(message) }),
    )
    return {
      async rcpt(ctx, recipient) {
        const tx = ctx.transaction
        const already = tx.notes.string(NOTE_VERYBADRCPTTO)
        if (already) return rejectOnce(ctx, 'verybadrcptto_rejected', already, '5.7.1')
        if (!recipient.host) return ctx.log.result('skip', 'no host in recipient')
        const immune = immunity(ctx.connection, tx, recipient)
        if (immune) return ctx.log.result('skip', immune)
        const hit = (await list.get()).match(recipient)
        if (!hit) return ctx.log.result('pass')
        const message =
          hit.reason ?? `Message refused for every recipient: mail to ${recipient.address} is not accepted`
        tx.notes.set(NOTE_VERYBADRCPTTO, message)
        return rejectOnce(
          ctx,
          'verybadrcptto_rejected',
          message,
          '5.7.1',
          `${recipient.address} matches ${hit.text} (${hit.file}:${hit.line}); refusing the whole message`,
        )
      },
      data(ctx) {
        const message = ctx.transaction.notes.string(NOTE_VERYBADRCPTTO)
        if (message) return rejectOnce(ctx, 'verybadrcptto_rejected', message, '5.7.1')
      },
    }
  },
})
