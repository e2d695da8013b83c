import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DENYSOFT, OK } from '@postern/core'
import { loadPlugin, loadPluginForTest, testAddress } from '@postern/testing'
import { afterEach, describe, expect, it } from 'vitest'
import plugin, { expandPath } from '../src/index.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function tmp(): string {
  const d = path.join(tmpdir(), `maildir-test-${process.pid}-${Math.random().toString(36).slice(2)}`)
  dirs.push(d)
  return d
}

const MESSAGE = 'Subject: hello\nFrom: a@example.org\n\nbody line\n.dotted\n'

async function queue(args: string, recipients: string[]) {
  const h = await loadPluginForTest(plugin, { args })
  const s = h.session()
  s.begin({ sender: 'a@example.org', recipients, message: MESSAGE })
  return h.first('queue', s)
}

describe('queue/maildir', () => {
  it('delivers into new/ with Return-Path and answers OK with the file name', async () => {
    const box = tmp()
    const r = await queue(box, ['b@example.com'])
    expect(r.code).toBe(OK)
    const files = readdirSync(path.join(box, 'new'))
    expect(files).toHaveLength(1)
    expect(r.message[0]).toBe(`Queued as ${files[0]}`)
    expect(readdirSync(path.join(box, 'tmp'))).toEqual([])
    const text = readFileSync(path.join(box, 'new', files[0]!), 'utf8')
    expect(text).toBe(
      'Return-Path: <a@example.org>\r\nSubject: hello\r\nFrom: a@example.org\r\n\r\nbody line\r\n.dotted\r\n',
    )
  })

  it('per-recipient folders from %d/%u, one copy each', async () => {
    const base = tmp()
    const r = await queue(`${base}/%d/%u`, ['Alice@Example.com', 'bob@example.com', 'alice@example.com'])
    expect(r.code).toBe(OK)
    expect(readdirSync(path.join(base, 'example.com', 'alice', 'new'))).toHaveLength(1)
    expect(readdirSync(path.join(base, 'example.com', 'bob', 'new'))).toHaveLength(1)
  })

  it('keeps hostile recipient names inside the base folder', () => {
    expect(expandPath('/m/%d/%u', testAddress('"../../etc"@example.com'))).toBe('/m/example.com/__.._etc')
    expect(expandPath('/m/%a', testAddress('"a/b"@x.example'))).toBe('/m/a_b@x.example')
  })

  it('answers 451 4.3.0 when the folder cannot be created, and leaves nothing behind', async () => {
    // A regular file where a directory should be: fails for root too (ENOTDIR).
    const base = tmp()
    mkdirSync(path.dirname(base), { recursive: true })
    writeFileSync(base, 'not a directory')
    const r = await queue(`${base}/Maildir`, ['b@example.com'])
    expect(r).toMatchObject({
      code: DENYSOFT,
      enhanced: '4.3.0',
      message: ['Local delivery failed, try again later'],
    })
  })

  it('fails at load without a path', async () => {
    await expect(loadPlugin(plugin, { args: '' })).rejects.toThrow(/needs a Maildir path/)
  })

  it('many concurrent deliveries all land (directory fsyncs are batched)', async () => {
    const box = tmp()
    const h = await loadPluginForTest(plugin, { args: box })
    const results = await Promise.all(
      Array.from({ length: 40 }, () => {
        const s = h.session()
        s.begin({ sender: 'a@example.org', recipients: ['b@example.com'], message: MESSAGE })
        return h.first('queue', s)
      }),
    )
    expect(results.every((r) => r.code === OK)).toBe(true)
    expect(readdirSync(path.join(box, 'new'))).toHaveLength(40)
  })
})
