/**
 * Per-recipient verdicts of content filters, kept in the recipient's address notes (the core's
 * `Address.notes`), so any plugin can record one and cf_wrapper reads them all.
 */
import {
  type Address,
  DENY,
  DENY_DISCONNECT,
  type EnhancedCode,
  isDenial,
  isTemporary,
  messageLines,
  type Ok,
  type RefusalCode,
  type Verdict,
} from '@postern/core'

/** The address note cf_wrapper reads: filter name → verdict. */
export const NOTE = 'cf_wrapper'

export type RecipientVerdict = Verdict<Ok | RefusalCode>

/** Records `filter`'s verdict for `recipient`. Undefined (or OK) means it accepts. */
export function setRecipientVerdict(
  recipient: Address,
  filter: string,
  verdict: RecipientVerdict | undefined,
): void {
  let map = recipient.notes.value<Map<string, RecipientVerdict>>(NOTE)
  if (!(map instanceof Map)) {
    map = new Map()
    recipient.notes.set(NOTE, map)
  }
  if (verdict === undefined) map.delete(filter)
  else map.set(filter, verdict)
}

/** Every verdict recorded for `recipient`, in the order the filters ran. */
export function recipientVerdicts(recipient: Address): ReadonlyMap<string, RecipientVerdict> {
  const map = recipient.notes.value<Map<string, RecipientVerdict>>(NOTE)
  return map instanceof Map ? map : new Map()
}

export type Outcome =
  | { readonly kind: 'accept' }
  | {
      readonly kind: 'perm' | 'temp'
      readonly code: RefusalCode
      readonly message: readonly string[]
      readonly enhanced: EnhancedCode | undefined
      readonly filter: string
    }

/**
 * What the filters said about one recipient: refused if any refused, permanently if any
 * refused permanently (the first such filter's text answers), else accepted.
 */
export function outcomeOf(recipient: Address): Outcome {
  let temp: Outcome | undefined
  for (const [filter, v] of recipientVerdicts(recipient)) {
    if (!isDenial(v.code)) continue
    const code = v.code as RefusalCode
    const message = messageLines(v.message)
    const o = { code, message, enhanced: v.enhanced, filter }
    if (!isTemporary(code)) return { kind: 'perm', ...o, code: code === DENY_DISCONNECT ? DENY : code }
    temp ??= { kind: 'temp', ...o }
  }
  return temp ?? { kind: 'accept' }
}
