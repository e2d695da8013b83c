/**
 * connection_time: logs how long each SMTP session lasted, from accept to the last hook.
 * The start is taken at pre-connection (the earliest hook), or at connect when an embedder
 * does not fire pre-connection; a monotonic clock is used so a clock step does not skew it.
 */
import { performance } from 'node:perf_hooks'
import { definePlugin, type SessionContext } from '@postern/core'
import { peerDependencies } from '../package.json'

/** Connection notes: the start (performance.now() ms) and, at the end, the duration in seconds. */
export const NOTE_START = 'connection_time_start'
export const NOTE = 'connection_time'

function start(ctx: SessionContext): void {
  if (!ctx.connection.notes.has(NOTE_START)) ctx.connection.notes.set(NOTE_START, performance.now())
}

export default definePlugin({
  name: 'connection_time',
  core: peerDependencies['@postern/core'],
  description: 'Logs the duration of each connection',
  setup({ args }) {
    const digits = args.number('precision', 3)
    if (!Number.isInteger(digits) || digits < 0 || digits > 6)
      throw new Error(`precision must be 0 to 6 digits, not ${args.get('precision')}`)
    return {
      'pre-connection': start,
      connect: start,
      'post-connection'(ctx) {
        const began = ctx.connection.notes.value<number>(NOTE_START)
        if (began === undefined) return // the session ended before any hook saw it start
        const seconds = Number(((performance.now() - began) / 1000).toFixed(digits))
        ctx.connection.notes.set(NOTE, seconds)
        // NOTICE, as qpsmtpd: `connection_time loglevel 4` forces it out at the default loglevel.
        ctx.log.notice(`Connection time from ${ctx.connection.remoteIp}: ${seconds.toFixed(digits)} s`, {
          seconds,
          remoteIp: ctx.connection.remoteIp,
        })
      },
    }
  },
})
