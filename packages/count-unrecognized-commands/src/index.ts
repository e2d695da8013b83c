/**
 * count_unrecognized_commands: a client that sends N commands the server does not know is not
 * speaking SMTP (an open HTTP proxy relaying a spammer's POST, a port scanner): after the Nth
 * it is told 521 and disconnected. Earlier unknown commands get the engine's usual 500.
 */
import { definePlugin, denyDisconnect } from '@postern/core'
import { peerDependencies } from '../package.json'

/** The connection note holding the count (qpsmtpd's name). */
export const NOTE = 'unrec_cmd_count'
const DEFAULT_MAX = 4

export default definePlugin({
  name: 'count_unrecognized_commands',
  core: peerDependencies['@postern/core'],
  description: 'Disconnects after N unrecognized commands',
  setup({ args }) {
    // qpsmtpd wrote the limit as the first word; `max N` is accepted too.
    const first = args.at(0)
    const text = args.has('max') ? args.get('max') : first && /^\d+$/.test(first) ? first : undefined
    const max = text === undefined ? DEFAULT_MAX : Number(text)
    if (!Number.isInteger(max) || max < 1)
      throw new Error(`the limit must be a positive integer, not ${text}`)
    return {
      unrecognized_command(ctx, verb) {
        const count = (ctx.connection.notes.value<number>(NOTE) ?? 0) + 1
        ctx.connection.notes.set(NOTE, count)
        if (count < max) {
          ctx.log.info(`unrecognized command ${JSON.stringify(verb.slice(0, 32))} (${count} of ${max})`)
          return
        }
        ctx.log.result('fail', `closing connection, ${count} unrecognized commands`)
        // DENY_DISCONNECT from this hook is answered 521 by the engine, then the socket closes.
        return denyDisconnect(
          `Closing connection, ${count} unrecognized commands. Perhaps you should read RFC 5321?`,
          '5.5.1',
        )
      },
    }
  },
})
