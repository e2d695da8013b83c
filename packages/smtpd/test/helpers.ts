import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  createLogger,
  createPluginHost,
  definePlugin,
  type PluginDefinition,
  type PluginHost,
  type Transaction,
} from '@postern/core'
import { type MemorySession, openMemorySession } from '../src/memory-session.js'
import type { Settings } from '../src/settings.js'

export interface Captured {
  sender: string
  recipients: string[]
  message: string
  raw: string
  header: Transaction['header']
}

/** A queue plugin that keeps each message in memory (read back through the replayable body). */
export function captureQueue(store: Captured[]): PluginDefinition {
  return definePlugin({
    name: 'test_capture_queue',
    core: '^1.0.0',
    hooks: {
      async queue(ctx) {
        const tx = ctx.transaction
        const read = async (part: 'message' | 'raw') => {
          const chunks: Buffer[] = []
          for await (const c of tx.body!.stream(part)) chunks.push(c as Buffer)
          return Buffer.concat(chunks).toString('utf8')
        }
        store.push({
          sender: tx.sender!.format(),
          recipients: tx.recipients.map((r) => r.format()),
          message: await read('message'),
          raw: await read('raw'),
          header: tx.header,
        })
        return { code: 900, message: 'Queued for test' }
      },
    },
  })
}

export const acceptAll = definePlugin({
  name: 'test_accept_all',
  core: '^1.0.0',
  hooks: { rcpt: () => ({ code: 900 }) },
})

export interface TestEngine {
  host: PluginHost
  dir: string
  queued: Captured[]
  open(settings?: Partial<Settings>): Promise<MemorySession>
  close(): Promise<void>
}

/** A plugin host over a temp config dir, with test plugins; sessions open on it in memory. */
export async function engine(
  options: {
    plugins?: PluginDefinition[]
    config?: Record<string, string>
    queue?: boolean
    accept?: boolean
  } = {},
): Promise<TestEngine> {
  const dir = mkdtempSync(path.join(tmpdir(), 'postern-smtpd-'))
  writeFileSync(path.join(dir, 'me'), 'mx.test.example\n')
  writeFileSync(path.join(dir, 'spool_dir'), `${path.join(dir, 'spool')}\n`)
  for (const [k, v] of Object.entries(options.config ?? {})) writeFileSync(path.join(dir, k), v)
  const queued: Captured[] = []
  const defs = [
    ...(options.accept === false ? [] : [acceptAll]),
    ...(options.plugins ?? []),
    ...(options.queue === false ? [] : [captureQueue(queued)]),
  ]
  const host = await createPluginHost({
    configDir: dir,
    definitions: defs,
    pluginLines: defs.map((d) => d.name),
    log: createLogger({ level: 3, sink: () => {} }),
    config: { qmailControlDir: false },
  })
  const sessions: MemorySession[] = []
  return {
    host,
    dir,
    queued,
    async open(settings) {
      const s = openMemorySession({ host, ...(settings ? { settings } : {}) })
      sessions.push(s)
      return s
    },
    async close() {
      for (const s of sessions) s.end()
      await Promise.all(sessions.map((s) => s.ended))
      await host.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** EHLO, MAIL, RCPT, DATA; returns the session ready for message bytes. */
export async function toData(s: MemorySession, rcpts = ['<b@example.com>']): Promise<void> {
  await s.greeting
  expectCode(await s.command('EHLO client.example'), 250)
  expectCode(await s.command('MAIL FROM:<a@example.org>'), 250)
  for (const r of rcpts) expectCode(await s.command(`RCPT TO:${r}`), 250)
  expectCode(await s.command('DATA'), 354)
}

export function expectCode(reply: string, code: number): void {
  if (!reply.startsWith(String(code))) throw new Error(`expected ${code}, got: ${reply}`)
}
