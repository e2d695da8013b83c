import type { ConfigFiles } from '@postern/testing'
import { loadPlugin, testMessage } from '@postern/testing'
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
export async function runQueue(args: string, run: QueueRun) {
  const h = await loadPlugin(plugin, { args, config: run.config ?? {} })
  try {
    const s = h.session({ remoteIp: '192.0.2.7' })
    const t = s.begin({ sender: run.sender ?? 'sender@example.org', recipients: run.recipients })
    const body = testMessage(run.message ?? 'Subject: test\r\n\r\nhello\r\n')
    t.header = body.header
    t.body = body
    const pending = h.first('queue', s)
    run.during?.(() => s.disconnect())
    return { result: await pending, logs: h.logs }
  } finally {
    await h.close()
  }
}
