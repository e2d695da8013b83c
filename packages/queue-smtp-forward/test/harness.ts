import { type ConfigFiles, runQueue as runQueueHook } from '@postern/testing'
import plugin from '../src/index.js'

export interface QueueRun {
  sender?: string
  recipients: string[]
  message?: string | Buffer
  config?: ConfigFiles
  /** Called with the session once the hook runs (to disconnect the client mid-way). */
  during?: (disconnect: () => void) => void
}

/** Loads queue/smtp-forward with `args` and runs its queue hook once. */
export function runQueue(args: string, run: QueueRun) {
  return runQueueHook(plugin, {
    args,
    config: run.config ?? {},
    connection: { remoteIp: '192.0.2.7' },
    transaction: {
      sender: run.sender ?? 'sender@example.org',
      recipients: run.recipients,
      message: run.message ?? 'Subject: test\r\n\r\nhello\r\n',
    },
    during: run.during,
  })
}
