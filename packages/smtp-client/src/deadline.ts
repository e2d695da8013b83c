/**
 * A queue hook must answer before the dispatcher gives up on it (then the client would hear a
 * generic 451 4.3.0 and we could not say why). The delivery gets the hook's time less a margin,
 * as an AbortSignal that also fires when the client goes away.
 */
import { type DeadlineSignal, deadlineSignal, type PluginConfig } from '@postern/core'

/** The hook's deadline in ms: the `hook_timeout` argument, else `config/plugin_timeout`, else 30 s. */
export async function hookTimeoutMs(hookTimeout: string | undefined, config: PluginConfig): Promise<number> {
  const arg = Number(hookTimeout)
  if (hookTimeout !== undefined && Number.isFinite(arg) && arg > 0) return arg * 1000
  const conf = Number(await config.get('plugin_timeout', '30'))
  return (Number.isFinite(conf) && conf > 0 ? conf : 30) * 1000
}

/** The time a delivery may take inside a hook of `hookMs`: 10% (at most 1 s) is kept back. */
export function deliveryBudgetMs(hookMs: number): number {
  return Math.max(1, hookMs - Math.min(1000, hookMs / 10))
}

export type DeliverySignal = DeadlineSignal

/**
 * Aborts at the budget (reason: a TimeoutError) or when `outer` aborts (client gone, hook over).
 * Core's deadlineSignal keeps to setTimeout: Node 20's `AbortSignal.any([…,
 * AbortSignal.timeout(ms)])` holds the timeout signal weakly, and after a GC it never fires.
 */
export function deliverySignal(outer: AbortSignal, budgetMs: number): DeliverySignal {
  return deadlineSignal(outer, budgetMs, `delivery took longer than ${budgetMs} ms`)
}
