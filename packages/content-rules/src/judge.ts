/**
 * The glue both content plugins share: walk the parts, let the plugin pick what each part
 * contributes (its type, its charsets…) and the rule that matched, decide, and turn the
 * decision into a verdict and one summary log line. A message too complex to walk is refused:
 * passing it unchecked would let anyone skip the check by adding parts.
 */
import type { Readable } from 'node:stream'
import {
  DENY,
  type EnhancedCode,
  type Ok,
  ok,
  type RefusalCode,
  refusal,
  type TransactionContext,
  type Verdict,
} from '@postern/core'
import { type Decision, decide, type Judged } from './verdicts.js'
import { MimeLimitError, type MimePart, walkParts } from './walk.js'

export interface JudgeOptions<T> {
  readonly maxParts?: number
  /** Most attached messages inside one another (default 10). */
  readonly maxNesting?: number
  /** `reject 0`: log what would have been refused, refuse nothing. */
  readonly dryRun?: boolean
  /** How an item is named in the log and in the default refusal text. */
  describe(item: T): string
  /** The refusal text when the matching rule has none. */
  defaultMessage(item: T): string
  /** Enhanced code of a refusal by rule (its class follows the rule's code). */
  readonly enhanced: EnhancedCode
}

/** Walks `source`, judging each part with `judge`, and answers for the whole message. */
export async function judgeMessage<T>(
  ctx: TransactionContext,
  source: Readable,
  judge: (part: MimePart) => readonly Judged<T>[],
  options: JudgeOptions<T>,
): Promise<Verdict<Ok | RefusalCode> | undefined> {
  const judged: Judged<T>[] = []
  let decision: Decision<T>
  try {
    await walkParts(source, (part) => void judged.push(...judge(part)), {
      signal: ctx.signal,
      ...(options.maxParts ? { maxParts: options.maxParts } : {}),
      ...(options.maxNesting !== undefined ? { maxNesting: options.maxNesting } : {}),
    })
    decision = decide(judged)
  } catch (err) {
    if (!(err instanceof MimeLimitError)) throw err
    if (options.dryRun) {
      ctx.log.result('fail, tolerated', `cannot check: ${err.message}`)
      return undefined
    }
    ctx.log.result('fail', `cannot check: ${err.message}`)
    return refusal(DENY, 'Message structure too complex to check', '5.6.0')
  }
  if (decision.kind === 'declined') {
    ctx.log.result('pass', `${judged.length} checked, no objection`)
    return undefined
  }
  if (decision.kind === 'ok') {
    ctx.log.result('pass', `${judged.length} checked, all accepted`)
    return ok()
  }
  const { item, rule, code } = decision
  const why = `${options.describe(item)} (${rule.file}:${rule.line})`
  if (options.dryRun) {
    ctx.log.result('fail, tolerated', why)
    return undefined
  }
  ctx.log.result('fail', why)
  return refusal(code, rule.message ?? options.defaultMessage(item), options.enhanced)
}
