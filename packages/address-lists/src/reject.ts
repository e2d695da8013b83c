/**
 * `ctx.reject` for refusals that repeat on every RCPT of a transaction (a bad sender refuses
 * each recipient). With `reject naughty` the deferred reject is stored once per transaction,
 * not once per recipient, so the naughty note does not fill with copies of the same line.
 */
import {
  type EnhancedCode,
  parseRejectMode,
  type RefusalCode,
  type TransactionContext,
  type Verdict,
} from '@postern/core'

export function rejectOnce(
  ctx: TransactionContext,
  key: string,
  message: string,
  enhanced?: EnhancedCode,
  logMessage?: string,
): Verdict<RefusalCode> | undefined {
  if (parseRejectMode(ctx.plugin.args) !== 'on') {
    if (ctx.transaction.notes.has(key)) return undefined
    ctx.transaction.notes.set(key, true)
  }
  return ctx.reject(message, enhanced, logMessage)
}
