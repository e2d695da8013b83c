/**
 * Content rules, the list framework and logging through the engine, with swaks as the client.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import checkLoop from '@postern/check-loop'
import contentLog from '@postern/content-log'
import majordomo from '@postern/majordomo'
import queueDiscard from '@postern/queue-discard'
import rcptOk from '@postern/rcpt-ok'
import { tempDir } from '@postern/test-peers'
import { startServer, type TestServer } from '@postern/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { swaks, swaksPath } from './swaks.js'

const site = tempDir('content-e2e')
const lists = path.join(site, 'lists')
const archive = path.join(site, 'archive')
let server: TestServer | undefined

beforeAll(async () => {
  mkdirSync(lists, { recursive: true })
  writeFileSync(path.join(lists, 'staff.config'), 'restrict_post = staff\n')
  writeFileSync(path.join(lists, 'staff'), 'alice@example.org\nBob <bob@example.org>\n')
  server = await startServer({
    plugins: [checkLoop, majordomo, rcptOk, queueDiscard, contentLog],
    pluginLines: [
      'check_loop max 5',
      `majordomo listdir ${lists} domains lists.example.com`,
      'rcpt_ok',
      'queue/discard',
      `content_log path ${archive}/%Y%m%d`,
    ],
    config: { rcpthosts: 'example.com\nlists.example.com\n' },
  })
}, 30_000)

afterAll(async () => {
  await server?.close()
  rmSync(site, { recursive: true, force: true })
})

const send = (args: string[]) => swaks(['--server', `127.0.0.1:${server!.port}`, ...args])

describe.skipIf(!swaksPath)('content rules, lists and logging through the engine', () => {
  it('check_loop refuses a message with too many Received headers (5.4.6)', async () => {
    const received = Array.from(
      { length: 6 },
      (_, i) => `Received: from hop${i}.example by next.example; Fri, 27 Nov 2026 05:00:0${i} +0000`,
    )
    const r = await send([
      '--from',
      'a@example.org',
      '--to',
      'user@example.com',
      '--data',
      `${received.join('\n')}\nFrom: a@example.org\nDate: Fri, 27 Nov 2026 05:00:00 +0000\nSubject: loop\n\nbody\n`,
    ])
    expect(r.out).toMatch(/<\*\* 55\d 5\.4\.6 /)
  })

  it('majordomo lets members post to a restricted list and refuses strangers', async () => {
    const member = await send(['--from', 'bob@example.org', '--to', 'staff@lists.example.com'])
    expect(member.code).toBe(0)
    const stranger = await send(['--from', 'mallory@example.net', '--to', 'staff@lists.example.com'])
    expect(stranger.out).toMatch(/RCPT TO:<staff@lists\.example\.com>\n<\*\* 5\d\d /)
  })

  it('content_log archives every queued message in a dated file', async () => {
    const r = await send([
      '--from',
      'a@example.org',
      '--to',
      'user@example.com',
      '--header',
      'Subject: archive-me',
    ])
    expect(r.code).toBe(0)
    const files = readdirSync(archive)
    expect(files.some((f) => /^\d{8}$/.test(f))).toBe(true)
    const text = files.map((f) => readFileSync(path.join(archive, f), 'utf8')).join('')
    expect(text).toContain('Subject: archive-me')
  })
})
