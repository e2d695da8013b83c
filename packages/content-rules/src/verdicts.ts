/**
 * One answer for a whole message from the rule each item (a part's type, a charset) matched:
 * - the first item, in message order, whose rule refuses decides (a refused attachment must
 *   not slip through behind an accepted text part);
 * - OK only when there was at least one item and every item matched an OK rule (OK stops the
 *   data_post chain, so later content filters would be skipped: it has to be earned by all);
 * - otherwise DECLINED.
 */
import { isDenial, OK, type RefusalCode } from '@postern/core'
import type { Rule } from './rules.js'

export interface Judged<T> {
  readonly item: T
  readonly rule: Rule | undefined
}

export type Decision<T> =
  | { readonly kind: 'refuse'; readonly code: RefusalCode; readonly item: T; readonly rule: Rule }
  | { readonly kind: 'ok' }
  | { readonly kind: 'declined' }

export function decide<T>(judged: readonly Judged<T>[]): Decision<T> {
  for (const { item, rule } of judged) {
    if (rule && isDenial(rule.code)) return { kind: 'refuse', code: rule.code as RefusalCode, item, rule }
  }
  if (judged.length > 0 && judged.every((j) => j.rule?.code === OK)) return { kind: 'ok' }
  return { kind: 'declined' }
}
