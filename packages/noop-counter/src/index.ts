/**
 * noop_counter: a client that sends more than `max` NOOPs in a row (default 3) is wasting a
 * connection slot; it gets `500 5.5.1 Stop wasting my time.` and is disconnected.
 * Any other command that reaches a hook (HELO, EHLO, MAIL, RCPT, DATA, VRFY) resets the count.
 */
import { definePlugin, denyDisconnect, type SessionContext } from '@postern/core'
import { peerDependencies } from '../package.json'

const NOTE = 'noop_counter'

export default definePlugin({
  name: 'noop_counter',
  core: peerDependencies['@postern/core'],
  description: 'Disconnects after too many consecutive NOOPs',
  setup({ args }) {
    // qpsmtpd wrote the limit as the first word; `max N` is accepted too.
    const max = args.has('max') ? args.number('max', 3) : Number(args.at(0) ?? 3) || 3
    const reset = (ctx: SessionContext) => {
      ctx.connection.notes.delete(NOTE)
    }
    return {
      noop(ctx) {
        const count = (ctx.connection.notes.value<number>(NOTE) ?? 0) + 1
        ctx.connection.notes.set(NOTE, count)
        if (count <= max) return
        ctx.log.result('fail', `${count} NOOPs in a row`)
        return denyDisconnect('Stop wasting my time.', '5.5.1')
      },
      helo: reset,
      ehlo: reset,
      mail: reset,
      rcpt: reset,
      data: reset,
      vrfy: reset,
    }
  },
})
