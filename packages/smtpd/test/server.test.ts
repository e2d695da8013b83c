import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { promisify } from 'node:util'
import { definePlugin, verifyCredentials } from '@postern/core'
import { RawClient, requirePeer, tempDir } from '@postern/test-peers'
import nodemailer from 'nodemailer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type PosternServer } from '../src/index.js'
import { configDir, maildirMessages, makeCert } from './socket-helpers.js'

const run = promisify(execFile)
const swaks = requirePeer('swaks')
const python = requirePeer('python3', '/usr/bin/python3', 'python3')

const seen = { earlyTalker: [] as boolean[], remoteIps: [] as string[] }
const acceptAll = definePlugin({ name: 'accept_all', core: '^1.0.0', hooks: { rcpt: () => ({ code: 900 }) } })
const users = definePlugin({
  name: 'test_users',
  core: '^1.0.0',
  hooks: {
    auth: (_ctx, creds) =>
      creds.user === 'alice' && verifyCredentials(creds, 's3cret') ? { code: 900 } : { code: 901 },
  },
})
const observer = definePlugin({
  name: 'observer',
  core: '^1.0.0',
  hooks: {
    connect: async (ctx) => {
      // Hold the greeting briefly, as check_earlytalker does, so an early talker shows.
      if (ctx.connection.localPort) await new Promise((r) => setTimeout(r, 150))
    },
    helo: (ctx) => {
      seen.earlyTalker.push(ctx.connection.earlyTalker)
      seen.remoteIps.push(ctx.connection.remoteIp)
    },
    ehlo: (ctx) => {
      seen.earlyTalker.push(ctx.connection.earlyTalker)
      seen.remoteIps.push(ctx.connection.remoteIp)
    },
  },
})

let dir: string
let box: string
let server: PosternServer
let port: number
let tlsPort: number

beforeAll(async () => {
  dir = tempDir('smtpd-server')
  box = path.join(dir, 'Maildir')
  const { cert, key } = makeCert(dir)
  const cfg = configDir({
    me: 'mx.test.example\n',
    tls_cert: `${cert}\n`,
    tls_key: `${key}\n`,
    spool_dir: `${path.join(dir, 'spool')}\n`,
    max_connections_per_ip: '20\n',
  })
  server = createServer({
    config: cfg,
    plugins: [observer, acceptAll, users],
    pluginLines: ['observer', 'accept_all', 'test_users', `queue/maildir ${box}`],
    listen: ['127.0.0.1:0', '127.0.0.1:0 tls'],
  })
  const addrs = await server.listen()
  port = addrs[0]!.port
  tlsPort = addrs[1]!.port
})

afterAll(async () => {
  await server?.close(1000)
  rmSync(dir, { recursive: true, force: true })
})

describe('real clients against a real socket', () => {
  it.skipIf(!swaks)('swaks: STARTTLS + AUTH PLAIN delivers into the Maildir', async () => {
    const before = maildirMessages(box).length
    const { stdout } = await run(swaks!, [
      '--server',
      `127.0.0.1:${port}`,
      '--tls',
      '--auth',
      'PLAIN',
      '--auth-user',
      'alice',
      '--auth-password',
      's3cret',
      '--from',
      'alice@example.org',
      '--to',
      'bob@example.com',
      '--header',
      'Subject: swaks-tls-auth',
    ])
    expect(stdout).toMatch(/<~ {2}235 2\.7\.0 PLAIN authentication successful for alice/)
    expect(stdout).toMatch(/<~ {2}250 2\.0\.0 Queued as /)
    const msgs = maildirMessages(box)
    expect(msgs.length).toBe(before + 1)
    const m = msgs.find((x) => x.includes('Subject: swaks-tls-auth'))!
    expect(m).toMatch(/with ESMTPSA \(TLSv1\.[23] /)
    expect(m).toContain('auth=pass smtp.auth=alice')
    expect(m.startsWith('Return-Path: <alice@example.org>\r\n')).toBe(true)
  })

  it.skipIf(!swaks)(
    'swaks: a wrong password gets 535 5.7.8 naming the client IP; AUTH is not offered without TLS',
    async () => {
      const bad = await run(swaks!, [
        '--server',
        `127.0.0.1:${port}`,
        '--tls',
        '--auth',
        'PLAIN',
        '--auth-user',
        'alice',
        '--auth-password',
        'wrong',
        '--from',
        'a@example.org',
        '--to',
        'b@example.com',
      ]).catch((e: { code: number; stdout: string }) => e)
      expect((bad as { code: number }).code).toBe(28)
      expect((bad as { stdout: string }).stdout).toMatch(
        /535 5\.7\.8 PLAIN authentication failed for alice from 127\.0\.0\.1/,
      )
      const c = await RawClient.open(port)
      await c.reply()
      const ehlo = await c.command('EHLO plain.example')
      expect(ehlo).toContain('STARTTLS')
      expect(ehlo).not.toContain('AUTH')
      expect(await c.command('AUTH PLAIN AGFsaWNlAHMzY3JldA==')).toMatch(/^500 5\.5\.1 /)
      c.close()
    },
  )

  it.skipIf(!python)('Python smtplib sends a message', async () => {
    const script = `
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m['From'] = 'py@example.org'; m['To'] = 'bob@example.com'; m['Subject'] = 'from-python'
m.set_content('hello from smtplib\\n.leading dot line\\n')
with smtplib.SMTP('127.0.0.1', int(sys.argv[1])) as s:
    print(s.send_message(m))
`
    const { stdout } = await run(python!, ['-c', script, String(port)])
    expect(stdout.trim()).toBe('{}')
    const m = maildirMessages(box).find((x) => x.includes('Subject: from-python'))!
    expect(m).toContain('\r\n.leading dot line\r\n')
  })

  it('nodemailer sends over STARTTLS with AUTH LOGIN', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      requireTLS: true,
      auth: { user: 'alice', pass: 's3cret' },
      authMethod: 'LOGIN',
      tls: { rejectUnauthorized: false },
    })
    const info = await transport.sendMail({
      from: 'alice@example.org',
      to: 'bob@example.com',
      subject: 'from-nodemailer',
      text: 'hi',
    })
    expect(info.response).toMatch(/^250 2\.0\.0 Queued as /)
    expect(maildirMessages(box).some((x) => x.includes('Subject: from-nodemailer'))).toBe(true)
  })

  it('nodemailer over implicit TLS with CRAM-MD5', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: tlsPort,
      secure: true,
      auth: { user: 'alice', pass: 's3cret' },
      authMethod: 'CRAM-MD5',
      tls: { rejectUnauthorized: false },
    })
    const info = await transport.sendMail({
      from: 'alice@example.org',
      to: 'bob@example.com',
      subject: 'implicit-tls',
      text: 'hi',
    })
    expect(info.response).toMatch(/^250 /)
  })
})

describe('attacks on a real socket', () => {
  it('STARTTLS injection: plaintext pipelined after STARTTLS is discarded', async () => {
    const c = await RawClient.open(port)
    await c.reply()
    await c.command('EHLO attacker.example')
    c.write('STARTTLS\r\nRSET\r\n')
    expect(await c.reply()).toBe('220 2.0.0 Ready to start TLS')
    const secure = tlsConnect({ socket: c.socket, rejectUnauthorized: false })
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve)
      secure.once('error', reject)
    })
    const t = new RawClient(secure)
    // Nothing may answer the injected RSET: the first reply inside TLS is to our own EHLO.
    expect(await t.command('EHLO victim.example')).toMatch(/^250-mx\.test\.example Hello victim\.example/)
    expect(t.unread).toBe('')
    t.close()
  })

  it('flags a client that talks before the banner', async () => {
    seen.earlyTalker = []
    const c = await RawClient.open(port)
    c.write('EHLO early.example\r\n')
    expect(await c.reply()).toMatch(/^220 /)
    expect(await c.reply()).toMatch(/^250-/)
    expect(seen.earlyTalker).toEqual([true])
    c.close()
    const d = await RawClient.open(port)
    await d.reply()
    await d.command('EHLO polite.example')
    expect(seen.earlyTalker).toEqual([true, false])
    d.close()
  })

  it('SMTP smuggling over the wire: one reply, nothing queued', async () => {
    const before = maildirMessages(box).length
    const c = await RawClient.open(port)
    await c.reply()
    await c.command('EHLO t.example')
    await c.command('MAIL FROM:<a@t.example>')
    await c.command('RCPT TO:<b@us.example>')
    expect(await c.command('DATA')).toMatch(/^354/)
    c.write(
      'Subject: x\r\n\r\nbody\n.\r\nMAIL FROM:<ceo@bank.example>\r\nRCPT TO:<b@us.example>\r\nDATA\r\nSubject: forged\r\n\r\nsmuggled\r\n.\r\n',
    )
    expect(await c.reply()).toBe('550 5.5.2 Message contains bare CR or LF; lines must end with CRLF')
    expect(await c.command('NOOP')).toBe('250 2.0.0 OK')
    expect(maildirMessages(box).length).toBe(before)
    c.close()
  })
})

describe('embedding: createServer({ config, plugins }) without pluginLines', () => {
  const policy = definePlugin({
    name: 'embedded_policy',
    core: '^1.0.0',
    hooks: {
      rcpt: (_ctx, rcpt) => (rcpt.host === 'example.com' ? { code: 900 } : undefined),
      vrfy: () => ({ code: 900, message: 'embedded policy' }),
    },
  })
  const queued: string[] = []
  const memoryQueue = definePlugin({
    name: 'memory_queue',
    core: '^1.0.0',
    hooks: {
      vrfy: () => ({ code: 900, message: 'memory queue' }),
      queue: (ctx) => {
        queued.push(ctx.transaction.header?.get('Subject') ?? '')
        return { code: 900, message: 'Kept in memory' }
      },
    },
  })

  async function send(p: number, subject: string): Promise<{ vrfy?: string; rcpt?: string; end?: string }> {
    const c = await RawClient.open(p)
    await c.reply()
    await c.command('EHLO embed.example')
    const vrfy = await c.command('VRFY someone')
    await c.command('MAIL FROM:<a@example.org>')
    const rcpt = await c.command('RCPT TO:<b@example.com>')
    await c.command('DATA')
    const end = await c.command(`Subject: ${subject}\r\n\r\nhi\r\n.`)
    c.close()
    return { vrfy, rcpt, end }
  }

  it('config/plugins picks plugins given in code by name, next to installed ones', async () => {
    const box2 = path.join(dir, 'EmbedMaildir')
    const s = createServer({
      config: configDir({ me: 'embed.example\n', plugins: `embedded_policy\nqueue/maildir ${box2}\n` }),
      plugins: [policy, memoryQueue],
      listen: ['127.0.0.1:0'],
    })
    try {
      const [addr] = await s.listen()
      expect(s.host.plugins.map((p) => p.instance)).toEqual(['embedded_policy', 'queue/maildir'])
      const r = await send(addr!.port, 'named in config')
      expect(r).toMatchObject({
        vrfy: '250 2.1.5 embedded policy',
        rcpt: '250 2.1.5 <b@example.com>, recipient ok',
      })
      expect(r.end).toMatch(/^250 2\.0\.0 Queued as /)
      expect(maildirMessages(box2)[0]).toContain('Subject: named in config')
    } finally {
      await s.close(1000)
    }
  })

  it('without config/plugins, the plugins given run in the order given', async () => {
    const s = createServer({
      config: configDir({ me: 'embed.example\n', spool_dir: `${path.join(dir, 'spool')}\n` }),
      plugins: [memoryQueue, policy],
      listen: ['127.0.0.1:0'],
    })
    try {
      const [addr] = await s.listen()
      expect(s.host.plugins.map((p) => p.instance)).toEqual(['memory_queue', 'embedded_policy'])
      const r = await send(addr!.port, 'no plugins file')
      expect(r).toEqual({
        vrfy: '250 2.1.5 memory queue',
        rcpt: '250 2.1.5 <b@example.com>, recipient ok',
        end: '250 2.0.0 Kept in memory',
      })
      expect(queued).toContain('no plugins file')
    } finally {
      await s.close(1000)
    }
  })
})

describe('engine settings ask the config hooks first, then the files', () => {
  it('databytes and smtpgreeting from a config hook; a file value the hook does not answer still counts', async () => {
    const asked: string[] = []
    const settingsFromHook = definePlugin({
      name: 'settings_from_hook',
      core: '^1.0.0',
      hooks: {
        config: (_ctx, key) => {
          asked.push(key)
          if (key === 'databytes') return { code: 900, message: ['1000'] }
          if (key === 'smtpgreeting') return { code: 900, message: ['hooked.example ESMTP from a hook'] }
          return undefined
        },
      },
    })
    const s = createServer({
      config: configDir({
        me: 'files.example\n',
        databytes: '50000000\n',
        spool_dir: `${path.join(dir, 'spool')}\n`,
      }),
      plugins: [settingsFromHook],
      listen: ['127.0.0.1:0'],
    })
    try {
      const [addr] = await s.listen()
      expect(s.settings).toMatchObject({ databytes: 1000, me: 'files.example' })
      expect(asked).toEqual(expect.arrayContaining(['databytes', 'smtpgreeting', 'me', 'max_rcpts']))
      const c = await RawClient.open(addr!.port)
      expect(await c.reply()).toBe('220 hooked.example ESMTP from a hook')
      await c.command('EHLO c.example')
      expect(await c.command('MAIL FROM:<a@example.org> SIZE=5000')).toMatch(/^552 5\.3\.4 /)
      c.close()
    } finally {
      await s.close(1000)
    }
  })
})
