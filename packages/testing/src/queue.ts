/**
 * A queue plugin's one job, in one call: load it, hand it one transaction, read its verdict.
 * The transaction and its message are built as the engine would have them after DATA.
 */
import type { HookResult, LogEntry, PluginDefinition } from '@postern/core'
import { type LoadPluginOptions, loadPlugin } from './harness.js'
import type { TestConnectionInit, TestTransactionInit } from './models.js'

export interface RunQueueOptions extends LoadPluginOptions {
  /** The client the message came from. */
  connection?: TestConnectionInit
  /** Sender, recipients and the whole message (`message` sets the header and the body). */
  transaction: TestTransactionInit
  /**
   * Called once the hook is running, with a function that makes the client go away (the hook's
   * signal aborts): for tests of a delivery cut off half-way.
   */
  during?: (disconnect: () => void) => void
}

export interface QueueRun {
  readonly result: HookResult
  /** Everything logged while loading and queueing. */
  readonly logs: LogEntry[]
}

/** Loads a queue plugin, runs its `queue` hook once for one transaction, and unloads it. */
export async function runQueue(plugin: PluginDefinition, options: RunQueueOptions): Promise<QueueRun> {
  const { connection, transaction, during, ...load } = options
  const h = await loadPlugin(plugin, load)
  try {
    const s = h.session(connection)
    s.begin(transaction)
    const pending = h.first('queue', s)
    during?.(() => s.disconnect())
    return { result: await pending, logs: h.logs }
  } finally {
    await h.close()
  }
}
