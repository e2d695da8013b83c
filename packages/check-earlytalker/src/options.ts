/**
 * Arguments of both generations: qpsmtpd's `earlytalker wait 1 reject 1 reject_type temp
 * defer-reject 0 check-at CONNECT`, and the older check_earlytalker's `action denysoft|deny|log`.
 */
import {
  DENY,
  DENYSOFT,
  type PluginArgs,
  parseRejectMode,
  parseRejectType,
  type RefusalCode,
  type RejectMode,
} from '@postern/core'

export interface EarlytalkerOptions {
  /** How long the greeting is held, in ms. */
  readonly waitMs: number
  readonly mode: RejectMode
  readonly code: RefusalCode
  /** Refuse at MAIL instead of at connect (qpsmtpd's defer-reject). */
  readonly deferToMail: boolean
  /** `check-at DATA`: the engine already refuses pipelining past DATA, so nothing is done. */
  readonly connectCheck: boolean
}

export function parseOptions(args: PluginArgs): EarlytalkerOptions {
  const waitText = args.get('wait')
  const wait = waitText === undefined ? 1 : Number(waitText)
  if (!Number.isFinite(wait) || wait < 0) throw new Error(`wait must be a number of seconds, not ${waitText}`)

  let mode = parseRejectMode(args)
  // An early talker is often a busy legitimate server with a broken pipeline: temporary by default.
  let code = parseRejectType(args.get('reject_type'), DENYSOFT)
  const action = args.get('action')?.toLowerCase()
  if (action === 'log') mode = 'off'
  else if (action === 'deny') code = DENY
  else if (action === 'denysoft') code = DENYSOFT
  else if (action !== undefined) throw new Error(`action must be deny, denysoft or log, not ${action}`)

  const at = (args.get('check-at') ?? 'CONNECT').toUpperCase()
  if (at !== 'CONNECT' && at !== 'DATA') throw new Error(`check-at must be CONNECT or DATA, not ${at}`)

  return {
    waitMs: wait * 1000,
    mode,
    code,
    deferToMail: args.bool('defer-reject', false),
    connectCheck: at === 'CONNECT',
  }
}
