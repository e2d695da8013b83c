import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { RawClient, startPostern, tempDir } from '@postern/test-peers'
import { afterAll, describe, expect, it } from 'vitest'

const dir = tempDir('durability')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** One client: sends messages over one connection until the server goes away; records each 250. */
async function sender(port: number, id: number, acked: Set<string>): Promise<void> {
  let c: RawClient
  try {
    c = await RawClient.open(port)
    if (!(await c.reply())) return
    await c.command(`EHLO client${id}.example`)
  } catch {
    return
  }
  for (let n = 0; ; n++) {
    const key = `${id}-${n}`
    try {
      if (!(await c.command('MAIL FROM:<load@example.org>'))?.startsWith('250')) return
      if (!(await c.command('RCPT TO:<sink@example.com>'))?.startsWith('250')) return
      if (!(await c.command('DATA'))?.startsWith('354')) return
      const body = `Subject: ${key}\r\n\r\n${'payload line\r\n'.repeat(200)}END ${key}\r\n.`
      const reply = await c.command(body)
      if (!reply?.startsWith('250')) return
      acked.add(key)
    } catch {
      return
    }
  }
}

/** Whether a spool file holds the stalled client's message. */
function isStalledSpool(spool: string, name: string): boolean {
  try {
    return readFileSync(path.join(spool, name), 'latin1').includes('half a message')
  } catch {
    return false
  }
}

describe('durability', () => {
  it('every message that got a 250 is complete in the Maildir after SIGKILL mid-load', async () => {
    const cfg = path.join(dir, 'config')
    const box = path.join(dir, 'Maildir')
    mkdirSync(cfg, { recursive: true })
    writeFileSync(
      path.join(cfg, 'accept.mjs'),
      "export default { name: 'accept_all', core: '^1.0.0', hooks: { rcpt: () => ({ code: 900 }) } }\n",
    )
    writeFileSync(path.join(cfg, 'plugins'), `./accept.mjs\nqueue/maildir ${box}\n`)
    writeFileSync(path.join(cfg, 'spool_dir'), `${path.join(dir, 'spool')}\n`)
    // Every message through a spool file, so the kill leaves some behind for the next start.
    writeFileSync(path.join(cfg, 'spool_threshold'), '0\n')
    const p = await startPostern(['--config', cfg, '--listen', '127.0.0.1:0'])
    const acked = new Set<string>()
    const clients = Array.from({ length: 8 }, (_, i) => sender(p.port, i, acked))
    // Kill the server without warning once it has acknowledged a fair number of messages.
    while (acked.size < 40) await new Promise((r) => setTimeout(r, 10))
    // And while one message is half sent, so at least one spool file is open.
    const stalled = await RawClient.open(p.port)
    await stalled.reply()
    for (const line of [
      'EHLO stalled.example',
      'MAIL FROM:<a@example.org>',
      'RCPT TO:<b@example.com>',
      'DATA',
    ])
      await stalled.command(line)
    stalled.write('Subject: stalled\r\n\r\nhalf a message\r\n')
    const spool = path.join(dir, 'spool')
    for (let i = 0; i < 200 && !readdirSync(spool).some((f) => isStalledSpool(spool, f)); i++)
      await new Promise((r) => setTimeout(r, 10))
    p.child.kill('SIGKILL')
    await p.exited
    await Promise.all(clients)
    const delivered = new Map<string, string>()
    for (const f of readdirSync(path.join(box, 'new'))) {
      const text = readFileSync(path.join(box, 'new', f), 'utf8')
      const key = /^Subject: (\S+)$/m.exec(text)?.[1]
      if (key) delivered.set(key, text)
    }
    expect(acked.size).toBeGreaterThanOrEqual(40)
    for (const key of acked) {
      const text = delivered.get(key)
      expect(text, `message ${key} got 250 but is not in new/`).toBeDefined()
      expect(text!.endsWith(`END ${key}\r\n`)).toBe(true)
    }
    stalled.close()
    // The next start removes the spool files the killed process left.
    expect(readdirSync(spool).length).toBeGreaterThan(0)
    const next = await startPostern(['--config', cfg, '--listen', '127.0.0.1:0'])
    try {
      expect(readdirSync(spool)).toEqual([])
    } finally {
      next.child.kill('SIGTERM')
      await next.exited
    }
  }, 60_000)
})
