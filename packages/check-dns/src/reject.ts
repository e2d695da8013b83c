/** The reject convention with a code chosen here (core's `ctx.reject` always uses reject_type). */
import {
  type EnhancedCode,
  type RefusalCode,
  type RejectMode,
  refusal,
  type SessionContext,
  type Verdict,
} from '@postern/core'

export function refuse(
  ctx: SessionContext,
  mode: RejectMode,
  code: RefusalCode,
  message: string,
  enhanced: EnhancedCode,
  logText: string,
): Verdict<RefusalCode> | undefined {
  if (mode === 'off') {
    ctx.log.result('fail, tolerated', logText)
    return undefined
  }
  if (mode === 'naughty') {
    ctx.log.result('fail', `${logText} (deferred)`)
    ctx.deferReject(message, code, enhanced)
    return undefined
  }
  ctx.log.result('fail', logText)
  return refusal(code, message, enhanced)
}
