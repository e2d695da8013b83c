import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { definePlugin, deny } from '@postern/core'
import { RawClient, tempDir } from '@postern/test-peers'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createServer, type PosternServer } from '../src/index.js'
import { configDir } from './socket-helpers.js'

/** What the data_post hook saw: the spool dir's files and the body's own file. */
interface Seen {
  files: string[]
  path: string | undefined
  mode: number | undefined
}

const dirs: string[] = []
const servers: PosternServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close(1000)
})
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function dir(): string {
  const d = tempDir('spool')
  dirs.push(d)
  return d
}

/** A server with queue/maildir whose data_post hook records the spool and refuses "Subject: refuse". */
async function start(spool: string, box: string, extra: Record<string, string> = {}) {
  const seen: Seen[] = []
  const watcher = definePlugin({
    name: 'spool_watcher',
    core: '^1.0.0',
    hooks: {
      rcpt: () => ({ code: 900 }),
      data_post: (ctx) => {
        const body = ctx.transaction.body
        seen.push({
          files: readdirSync(spool),
          path: body?.path,
          mode: body?.path ? statSync(body.path).mode & 0o777 : undefined,
        })
        if (ctx.transaction.header?.get('Subject')?.includes('refuse')) return deny('Refused by test')
        return undefined
      },
    },
  })
  const server = createServer({
    config: configDir({ me: 'mx.test.example\n', spool_dir: `${spool}\n`, ...extra }),
    plugins: [watcher],
    pluginLines: ['spool_watcher', `queue/maildir ${box}`],
    listen: ['127.0.0.1:0'],
  })
  servers.push(server)
  const port = (await server.listen())[0]!.port
  return { server, port, seen }
}

async function toData(port: number): Promise<RawClient> {
  const c = await RawClient.open(port)
  expect(await c.reply()).toMatch(/^220 /)
  expect(await c.command('EHLO spool.example')).toMatch(/^250/)
  expect(await c.command('MAIL FROM:<a@example.org>')).toMatch(/^250/)
  expect(await c.command('RCPT TO:<b@example.com>')).toMatch(/^250/)
  expect(await c.command('DATA')).toMatch(/^354/)
  return c
}

/** A body of `lines` numbered lines (about 80 bytes each), one of them dot-stuffed. */
function bigBody(lines: number): { wire: string; delivered: string } {
  const text = Array.from({ length: lines }, (_, i) => `line ${i} ${'x'.repeat(70)}\r\n`).join('')
  return { wire: `${text}..starts with a dot\r\n`, delivered: `${text}.starts with a dot\r\n` }
}

/** Waits (by polling, up to ~10 s) for a condition about the server's state. */
async function until(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50))
  return check()
}

function delivered(box: string): string[] {
  const d = path.join(box, 'new')
  return existsSync(d) ? readdirSync(d).map((f) => readFileSync(path.join(d, f), 'latin1')) : []
}

describe('the on-disk spool, through the engine on a real socket', () => {
  it('a message over 64 KiB is on disk (mode 0600) during DATA, delivered intact, and removed', async () => {
    const base = dir()
    const spool = path.join(base, 'spool')
    const box = path.join(base, 'Maildir')
    const { port, seen, server } = await start(spool, box)
    const body = bigBody(2000) // ~160 KiB, over the default 64 KiB threshold
    const c = await toData(port)
    expect(await c.command(`Subject: big one\r\n\r\n${body.wire}.`)).toMatch(/^250 2\.0\.0 Queued as /)
    expect(seen).toHaveLength(1)
    expect(seen[0]!.path).toBeDefined()
    expect(seen[0]!.files).toEqual([path.basename(seen[0]!.path!)])
    expect(seen[0]!.files[0]).toMatch(new RegExp(`^postern-spool\\.${process.pid}\\.`))
    expect(seen[0]!.mode).toBe(0o600)
    expect(statSync(spool).mode & 0o777).toBe(0o700)
    const [message] = delivered(box)
    expect(message!.endsWith(`\r\n\r\n${body.delivered}`)).toBe(true)
    expect(readdirSync(spool)).toEqual([])
    expect(await c.command('QUIT')).toMatch(/^221 /)
    expect(await until(() => server.sessionCount === 0)).toBe(true)
  })

  it('a refused message (data_post DENY) leaves no spool file', async () => {
    const base = dir()
    const spool = path.join(base, 'spool')
    const { port, seen } = await start(spool, path.join(base, 'Maildir'))
    const c = await toData(port)
    const reply = await c.command(`Subject: refuse me\r\n\r\n${bigBody(2000).wire}.`)
    expect(reply).toBe('552 5.7.1 Refused by test')
    expect(seen[0]!.files).toHaveLength(1)
    expect(readdirSync(spool)).toEqual([])
    expect(delivered(path.join(base, 'Maildir'))).toEqual([])
    c.close()
  })

  it('a client that disconnects mid-DATA leaves no spool file', async () => {
    const base = dir()
    const spool = path.join(base, 'spool')
    const { port, server } = await start(spool, path.join(base, 'Maildir'))
    const c = await toData(port)
    c.write(`Subject: cut off\r\n\r\n${bigBody(2000).wire}`)
    // The file appears once more than the threshold has arrived; then the client goes.
    expect(await until(() => existsSync(spool) && readdirSync(spool).length === 1)).toBe(true)
    c.close()
    expect(await until(() => server.sessionCount === 0)).toBe(true)
    expect(readdirSync(spool)).toEqual([])
    expect(delivered(path.join(base, 'Maildir'))).toEqual([])
  })

  it('spool_threshold 0 puts even a tiny message on disk', async () => {
    const base = dir()
    const spool = path.join(base, 'spool')
    const box = path.join(base, 'Maildir')
    const { port, seen } = await start(spool, box, { spool_threshold: '0\n' })
    const c = await toData(port)
    expect(await c.command('Subject: tiny\r\n\r\nhello\r\n.')).toMatch(/^250 /)
    expect(seen[0]!.path).toBeDefined()
    expect(seen[0]!.files).toEqual([path.basename(seen[0]!.path!)])
    expect(delivered(box)[0]!.endsWith('\r\nSubject: tiny\r\n\r\nhello\r\n')).toBe(true)
    expect(readdirSync(spool)).toEqual([])
    c.close()
  })

  it('a message under the threshold stays in memory', async () => {
    const base = dir()
    const { port, seen } = await start(path.join(base, 'spool'), path.join(base, 'Maildir'))
    const c = await toData(port)
    expect(await c.command('Subject: small\r\n\r\nhello\r\n.')).toMatch(/^250 /)
    expect(seen[0]!.path).toBeUndefined()
    c.close()
  })
})

describe('spool directory safety', () => {
  /** The pid of a process that has exited. */
  function deadPid(): number {
    const r = spawnSync(process.execPath, ['-e', ''])
    return r.pid!
  }

  it('at start, removes the spool files of a crashed process and nothing else', async () => {
    const base = dir()
    const spool = path.join(base, 'spool')
    mkdirSync(spool, { mode: 0o700 })
    const old = new Date(Date.now() - 3600_000)
    const dead = deadPid()
    const files = {
      orphan: `postern-spool.${dead}.1700000000000.1.abc.1`,
      liveWriter: `postern-spool.${process.ppid}.1700000000000.1.abc.1`,
      notOurs: 'somebody-elses-file',
    }
    for (const f of Object.values(files)) {
      writeFileSync(path.join(spool, f), 'x')
      utimesSync(path.join(spool, f), old, old)
    }
    // Written after this process started: a sibling's file, never an orphan of ours yet.
    const recent = `postern-spool.${dead}.${Date.now()}.2.def.1`
    writeFileSync(path.join(spool, recent), 'x')
    await start(spool, path.join(base, 'Maildir'))
    expect(readdirSync(spool).sort()).toEqual([files.liveWriter, files.notOurs, recent].sort())
  })

  describe('the default $TMPDIR/postern-spool-<uid>', () => {
    const saved = process.env.TMPDIR
    afterEach(() => {
      if (saved === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = saved
    })

    /** A private TMPDIR, so the default spool dir is ours to break. */
    function tmpdirWithSpool(): string {
      const t = dir()
      process.env.TMPDIR = t
      const uid = process.getuid?.()
      return path.join(t, uid === undefined ? 'postern-spool' : `postern-spool-${uid}`)
    }

    function serverWithDefaultSpool(box: string): PosternServer {
      const server = createServer({
        config: configDir({ me: 'mx.test.example\n', plugins: `queue/maildir ${box}\n` }),
        listen: ['127.0.0.1:0'],
      })
      servers.push(server)
      return server
    }

    it('is made mode 0700 and used', async () => {
      const spool = tmpdirWithSpool()
      const server = serverWithDefaultSpool(path.join(spool, '..', 'Maildir'))
      await server.listen()
      expect(server.settings.spoolDir).toBe(spool)
      expect(statSync(spool).mode & 0o777).toBe(0o700)
    })

    it('is refused when group or world writable', async () => {
      const spool = tmpdirWithSpool()
      mkdirSync(spool)
      chmodSync(spool, 0o777)
      await expect(serverWithDefaultSpool(path.join(spool, '..', 'Maildir')).listen()).rejects.toThrow(
        `spool directory ${spool} is writable by group or others (mode 777); remove it, or name a private one in config/spool_dir`,
      )
    })

    it('is refused when it is a symbolic link', async () => {
      const spool = tmpdirWithSpool()
      const elsewhere = path.join(spool, '..', 'elsewhere')
      mkdirSync(elsewhere, { mode: 0o700 })
      symlinkSync(elsewhere, spool)
      await expect(serverWithDefaultSpool(path.join(spool, '..', 'Maildir')).listen()).rejects.toThrow(
        `spool directory ${spool} is a symbolic link`,
      )
    })

    it.skipIf(process.getuid?.() !== 0)('is refused when another user owns it', async () => {
      const spool = tmpdirWithSpool()
      mkdirSync(spool, { mode: 0o700 })
      chownSync(spool, 65534, 65534)
      await expect(serverWithDefaultSpool(path.join(spool, '..', 'Maildir')).listen()).rejects.toThrow(
        `spool directory ${spool} is owned by uid 65534, not by this process (uid 0)`,
      )
    })
  })
})
