import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DENYSOFT, OK } from '@postern/core'
import { acceptRecipients, loadPlugin, loadPluginForTest, openSession, testAddress } from '@postern/testing'
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
      reply: 451,
      message: ['Local delivery failed, try again later'],
    })
  })

  it('the client hears 451 4.3.0 (local error in processing) from the engine', async () => {
    const base = tmp()
    mkdirSync(path.dirname(base), { recursive: true })
    writeFileSync(base, 'not a directory')
    const s = await openSession({
      plugins: [acceptRecipients, plugin],
      pluginLines: ['accept_recipients', `queue/maildir ${base}/Maildir`],
    })
    try {
      await s.greeting
      await s.command('EHLO client.example')
      await s.command('MAIL FROM:<a@example.org>')
      await s.command('RCPT TO:<b@example.com>')
      expect(await s.command('DATA')).toMatch(/^354 /)
      expect(await s.command('Subject: x\r\n\r\nbody\r\n.')).toBe(
        '451 4.3.0 Local delivery failed, try again later',
      )
    } finally {
      await s.close()
    }
  })

  it('per-recipient delivery is all or nothing: a failing folder leaves no copy in any other', async () => {
    const base = tmp()
    mkdirSync(path.join(base, 'example.com'), { recursive: true })
    // The third recipient's folder cannot be made (a file is in its place).
    writeFileSync(path.join(base, 'example.com', 'carol'), 'not a directory')
    const r = await queue(`${base}/%d/%u`, ['alice@example.com', 'bob@example.com', 'carol@example.com'])
    expect(r).toMatchObject({ code: DENYSOFT, reply: 451, enhanced: '4.3.0' })
    for (const user of ['alice', 'bob']) {
      expect(readdirSync(path.join(base, 'example.com', user, 'new'))).toEqual([])
      expect(readdirSync(path.join(base, 'example.com', user, 'tmp'))).toEqual([])
    }
    // Fixed, the retry delivers exactly one copy to each.
    rmSync(path.join(base, 'example.com', 'carol'))
    const again = await queue(`${base}/%d/%u`, ['alice@example.com', 'bob@example.com', 'carol@example.com'])
    expect(again.code).toBe(OK)
    for (const user of ['alice', 'bob', 'carol'])
      expect(readdirSync(path.join(base, 'example.com', user, 'new'))).toHaveLength(1)
  })

  it('per-recipient copies are hard links of one file on one file system', async () => {
    const base = tmp()
    const r = await queue(`${base}/%u`, ['alice@example.com', 'bob@example.com'])
    expect(r.code).toBe(OK)
    const [a] = readdirSync(path.join(base, 'alice', 'new'))
    const st = statSync(path.join(base, 'alice', 'new', a!))
    expect(st.nlink).toBe(2)
    expect(statSync(path.join(base, 'bob', 'new', a!)).ino).toBe(st.ino)
  })

  const otherFs = ['/dev/shm'].find((d) => existsSync(d) && statSync(d).dev !== statSync(tmpdir()).dev)
  it.skipIf(!otherFs)(
    'copies into a folder on another file system (EXDEV), fsynced like the first',
    async () => {
      const base = tmp()
      const far = path.join(otherFs!, `maildir-test-${process.pid}-${Math.random().toString(36).slice(2)}`)
      dirs.push(far)
      mkdirSync(base, { recursive: true })
      mkdirSync(far)
      symlinkSync(far, path.join(base, 'bob'))
      const r = await queue(`${base}/%u`, ['alice@example.com', 'bob@example.com'])
      expect(r.code).toBe(OK)
      const [name] = readdirSync(path.join(base, 'alice', 'new'))
      expect(readdirSync(path.join(far, 'new'))).toEqual([name])
      expect(readFileSync(path.join(far, 'new', name!), 'utf8')).toBe(
        readFileSync(path.join(base, 'alice', 'new', name!), 'utf8'),
      )
      expect(statSync(path.join(far, 'new', name!)).nlink).toBe(1)
      expect(readdirSync(path.join(far, 'tmp'))).toEqual([])
    },
  )

  it('a Maildir removed while running is made again on the next delivery', async () => {
    const base = tmp()
    const h = await loadPluginForTest(plugin, { args: `${base}/%u` })
    const send = () => {
      const s = h.session()
      s.begin({
        sender: 'a@example.org',
        recipients: ['alice@example.com', 'bob@example.com'],
        message: MESSAGE,
      })
      return h.first('queue', s)
    }
    expect((await send()).code).toBe(OK)
    // Both folders are known to exist now; an admin removes them.
    rmSync(path.join(base, 'alice'), { recursive: true })
    rmSync(path.join(base, 'bob'), { recursive: true })
    expect((await send()).code).toBe(OK)
    expect(readdirSync(path.join(base, 'alice', 'new'))).toHaveLength(1)
    expect(readdirSync(path.join(base, 'bob', 'new'))).toHaveLength(1)
    // Only new/ gone: the rename into it is retried after making it again.
    rmSync(path.join(base, 'bob', 'new'), { recursive: true })
    expect((await send()).code).toBe(OK)
    expect(readdirSync(path.join(base, 'bob', 'new'))).toHaveLength(1)
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
