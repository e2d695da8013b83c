/**
 * The frame every delivering queue plugin puts around its delivery, so each states it once: the
 * hook's timeout set on the hook itself (the delivery budget is derived from that same number,
 * so a server-wide default must not replace it), no message → 451 4.3.0, and a delivery signal
 * that aborts at the budget or with the hook, released when the delivery is over.
 */
import { denysoft, type HookHandler, type MessageBody, type TransactionContext } from '@postern/core'
import { deliveryBudgetMs, deliverySignal } from './deadline.js'

/** What a `queue` hook may answer. */
export type QueueVerdict = Awaited<ReturnType<HookHandler<'queue'>>>

/** The delivery itself: `signal` aborts at the budget, or when the client goes or the hook ends. */
export type QueueDelivery = (
  ctx: TransactionContext,
  body: MessageBody,
  signal: AbortSignal,
) => Promise<QueueVerdict>

/** A `queue` hook with its timeout, for a plugin's hooks: `{ queue: queueHook(ms, deliver) }`. */
export interface QueueHook {
  readonly timeout: number
  readonly handler: (ctx: TransactionContext) => Promise<QueueVerdict>
}

/** `hookMs`: the hook's deadline (`hookTimeoutMs()`); the delivery gets `deliveryBudgetMs(hookMs)`. */
export function queueHook(hookMs: number, delivery: QueueDelivery): QueueHook {
  const budget = deliveryBudgetMs(hookMs)
  return {
    timeout: hookMs,
    async handler(ctx) {
      const body = ctx.transaction.body
      if (!body) return denysoft('No message to queue', '4.3.0', 451)
      const deadline = deliverySignal(ctx.signal, budget)
      try {
        return await delivery(ctx, body, deadline.signal)
      } finally {
        deadline.done()
      }
    },
  }
}
