/**
 * check_earlytalker (qpsmtpd's `earlytalker`): hold the 220 greeting for `wait` seconds. A real
 * SMTP client waits for it (RFC 5321 §3.1); direct-to-MX spamware often pipelines its whole
 * conversation at once, so bytes arriving before the greeting betray it. The engine notes such
 * bytes in `connection.earlyTalker`; this plugin only decides how long to wait and what to do.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { definePlugin, type EnhancedCode, refusal, type SessionContext } from '@postern/core'
import { peerDependencies } from '../package.json'
import { type EarlytalkerOptions, parseOptions } from './options.js'

/** Connection note set when the client talked early (qpsmtpd's name, read by karma and others). */
export const NOTE = 'earlytalker'
const MESSAGE = 'Connecting host started transmitting before SMTP greeting'
const ENHANCED: EnhancedCode = '5.5.0'
/** Checked this often while waiting, so a talker is answered without sitting out the whole wait. */
const POLL_MS = 100

/** Waits up to `ms`, returning early once the client has talked; false if the signal aborted. */
async function watch(ctx: SessionContext, ms: number): Promise<boolean> {
  const until = Date.now() + ms
  try {
    for (let left = ms; left > 0 && !ctx.connection.earlyTalker; left = until - Date.now()) {
      await sleep(Math.min(left, POLL_MS), undefined, { signal: ctx.signal })
    }
    return true
  } catch {
    return false // the client went away or the hook ran out of time: nobody to answer
  }
}

/** The reject convention, with this plugin's own default code (temporary). */
function refuse(ctx: SessionContext, opts: EarlytalkerOptions) {
  if (opts.mode === 'off') {
    ctx.log.result('fail, tolerated', 'early talker')
    return undefined
  }
  if (opts.mode === 'naughty') {
    ctx.log.result('fail', 'early talker (deferred)')
    ctx.deferReject(MESSAGE, opts.code, ENHANCED)
    return undefined
  }
  ctx.log.result('fail', 'early talker')
  return refusal(opts.code, MESSAGE, ENHANCED)
}

export default definePlugin({
  name: 'check_earlytalker',
  aliases: ['earlytalker'],
  core: peerDependencies['@postern/core'],
  description: 'Holds the greeting and refuses clients that talk before it',
  setup({ args, log }) {
    const opts = parseOptions(args)
    if (!opts.connectCheck) {
      log.warn(
        'check-at DATA: the engine itself refuses commands pipelined past DATA (554 5.5.0, RFC 2920); this plugin does nothing',
      )
      return {}
    }
    return {
      connect: {
        // The wait is the point of this hook: its deadline follows `wait`, so a long wait is
        // never cut short by the default hook timeout (and answered 451 as a failure).
        timeout: opts.waitMs + 10_000,
        async handler(ctx) {
          // Relay and whitelisted clients have nothing to prove; good karma has earned a pass.
          if (ctx.isImmune() || (ctx.connection.notes.value<number>('karma_history') ?? 0) > 5) {
            ctx.log.result('skip', 'immune')
            return
          }
          if (!(await watch(ctx, opts.waitMs))) return
          if (!ctx.connection.earlyTalker) {
            ctx.log.result('pass')
            return
          }
          ctx.connection.notes.set(NOTE, true)
          if (opts.deferToMail && opts.mode === 'on') {
            ctx.log.result('fail', 'early talker (refused at MAIL)')
            return
          }
          return refuse(ctx, opts)
        },
      },
      mail(ctx) {
        if (!opts.deferToMail || opts.mode !== 'on' || !ctx.connection.notes.flag(NOTE)) return
        return refusal(opts.code, MESSAGE, ENHANCED)
      },
    }
  },
})
