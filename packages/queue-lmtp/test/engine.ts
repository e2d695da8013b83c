/**
 * End-to-end helpers: a real Postern server (the engine, on a loopback port) with a test plugin
 * that accepts every recipient plus the queue under test, and swaks as the client.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createLogger, definePlugin, ok, type PluginDefinition } from '@postern/core'
import { createServer, type PosternServer } from '@postern/smtpd'
import { requirePeer } from '@postern/test-peers'

export const acceptRcpt = definePlugin({
  name: 'test_accept_rcpt',
  core: '^1.0.0',
  hooks: { rcpt: () => ok() },
})

export interface Postern {
  server: PosternServer
  port: number
  close(): Promise<void>
}

export async function startPostern(queue: PluginDefinition, queueLine: string): Promise<Postern> {
  const dir = mkdtempSync(path.join(tmpdir(), 'postern-e2e-'))
  writeFileSync(path.join(dir, 'me'), 'mx.postern.test\n')
  writeFileSync(path.join(dir, 'spool_dir'), `${path.join(dir, 'spool')}\n`)
  const server = createServer({
    config: dir,
    plugins: [acceptRcpt, queue],
    pluginLines: [acceptRcpt.name, queueLine],
    listen: ['127.0.0.1:0'],
    log: createLogger({ level: 0, sink: () => {} }),
    host: { config: { qmailControlDir: false } },
  })
  const [addr] = await server.listen()
  return {
    server,
    port: addr!.port,
    async close() {
      await server.close(1000)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The swaks binary, or undefined outside CI when it is not installed (skip). */
export const swaksBinary = (): string | undefined => requirePeer('swaks', 'swaks', '/usr/bin/swaks')

/** Runs swaks; resolves with its exit code and transcript. */
export function swaks(bin: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (b: Buffer) => {
      output += b.toString()
    })
    child.stderr.on('data', (b: Buffer) => {
      output += b.toString()
    })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code: code ?? -1, output }))
  })
}
