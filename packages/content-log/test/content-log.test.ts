import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { DENYSOFT, OK, type QueueResult } from '@postern/core'
import { loadPluginForTest, type PluginHarness } from '@postern/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { asctime, MboxrdEncoder, strftime } from '../src/index.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'content-log-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

const queued: QueueResult = { code: OK, message: ['Queued'] }

async function archive(h: PluginHarness, text: string, sender = 'alice@example.com', result = queued) {
  const s = h.session()
  s.begin({ sender, recipients: ['bob@example.org'], message: text })
  await h.notify('queue_post', s, result)
}

const today = () => strftime('%Y%m%d', new Date(), true)

describe('content_log', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('formats file names and mbox dates like strftime', () => {
    const d = new Date(Date.UTC(2024, 0, 5, 7, 8, 9))
    expect(strftime('mail/%Y-%m-%d/%H%M%S.%j.%y %a %b %e %% %Q', d, true)).toBe(
      'mail/2024-01-05/070809.005.24 Fri Jan  5 % %Q',
    )
    expect(asctime(d, true)).toBe('Fri Jan  5 07:08:09 2024')
  })

  it('appends each queued message to the file the date pattern names, as mboxrd', async () => {
    const h = await loadPluginForTest(plugin, {
      args: 'utc 1',
      config: { content_log_file: `${dir}/%Y%m%d` },
    })
    await archive(h, 'Subject: one\n\nFrom here on\n>From quoted\nbye\n')
    await archive(h, 'Subject: two\n\nsecond\n', '<>')
    const file = path.join(dir, today())
    const text = readFileSync(file, 'latin1')
    const entries = text.split(/^(?=From \S+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n)/m)
    expect(entries).toHaveLength(2)
    expect(entries[0]).toMatch(/^From alice@example\.com \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n/)
    expect(entries[0]!.slice(entries[0]!.indexOf('\n') + 1)).toBe(
      'Subject: one\n\n>From here on\n>>From quoted\nbye\n\n',
    )
    expect(entries[1]).toMatch(/^From MAILER-DAEMON /)
    expect(entries[1]).toContain('Subject: two\n\nsecond\n\n')
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('keeps 8-bit bytes as they are', async () => {
    const h = await loadPluginForTest(plugin, { args: `utc 1 path ${dir}/%Y` })
    await archive(h, 'Subject: x\n\nGrüße\n')
    expect(readFileSync(path.join(dir, strftime('%Y', new Date(), true)), 'utf8')).toContain('Grüße\n')
  })

  it('does not interleave messages appended at the same time', async () => {
    const h = await loadPluginForTest(plugin, { args: `utc 1 path ${dir}/box` })
    const big = (c: string) => `Subject: ${c}\n\n${`${c.repeat(70)}\n`.repeat(3000)}`
    await Promise.all(['a', 'b', 'c'].map((c) => archive(h, big(c))))
    const text = readFileSync(path.join(dir, 'box'), 'latin1')
    for (const c of ['a', 'b', 'c']) {
      const start = text.indexOf(`Subject: ${c}`)
      const block = text.slice(start, start + big(c).length)
      expect(block).toBe(big(c))
    }
  })

  it('archives only what the queue accepted, unless told `all 1`', async () => {
    const refused: QueueResult = { code: DENYSOFT, message: ['later'] }
    const h = await loadPluginForTest(plugin, { args: `path ${dir}/box` })
    await archive(h, 'Subject: no\n\nx\n', 'a@example.com', refused)
    expect(readdirSync(dir)).toEqual([])
    const all = await loadPluginForTest(plugin, { args: `all 1 path ${dir}/box` })
    await archive(all, 'Subject: yes\n\nx\n', 'a@example.com', refused)
    expect(readFileSync(path.join(dir, 'box'), 'utf8')).toContain('Subject: yes')
  })

  it('is switched off by content_log_enabled 0', async () => {
    const h = await loadPluginForTest(plugin, {
      args: `path ${dir}/box`,
      config: { content_log_enabled: '0\n' },
    })
    await archive(h, 'Subject: x\n\nx\n')
    expect(readdirSync(dir)).toEqual([])
  })

  it('logs, and does not throw, when the file cannot be written', async () => {
    const h = await loadPluginForTest(plugin, { args: `path ${dir}/file/%Y` })
    await archive(h, 'Subject: x\n\nx\n') // creates dir/file/YYYY
    const broken = await loadPluginForTest(plugin, { args: `path ${dir}/file` }) // now a directory: cannot append
    await archive(broken, 'Subject: x\n\nx\n')
    expect(broken.logs.some((l) => l.level === 3 && /cannot append to/.test(l.message))).toBe(true)
  })

  it('quotes From lines split across chunks', async () => {
    const enc = new MboxrdEncoder('From x d\n')
    const chunks: Buffer[] = []
    await new Promise((resolve, reject) =>
      Readable.from([Buffer.from('a\r\nFr'), Buffer.from('om y\r\n>Fro'), Buffer.from('m z\r\nend')])
        .pipe(enc)
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', resolve)
        .on('error', reject),
    )
    expect(Buffer.concat(chunks).toString()).toBe('From x d\na\n>From y\n>>From z\nend\n\n')
  })
})
