import { createServer, type Server, type Socket } from 'node:net'
import { DENY, DENYSOFT, OK } from '@postern/core'
import { type DovecotLmtp, freePort, startDovecotLmtp, swaks, swaksBinary } from '@postern/test-peers'
import {
  acceptRecipients,
  loadPlugin,
  loadPluginForTest,
  runQueue,
  startServer,
  testMessage,
} from '@postern/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const USERS = [
  { name: 'alice@example.com' },
  { name: 'carol@example.com' },
  // A one-byte quota: every delivery to bob fails at DATA (per-recipient reply).
  { name: 'bob@example.com', extra: ['userdb_quota_rule=*:storage=1B'] },
]

let dovecot: DovecotLmtp | undefined
let skip = ''
beforeAll(async () => {
  dovecot = await startDovecotLmtp({ users: USERS, quota: true })
  if (!dovecot) skip = 'dovecot LMTP is not installed (or not root): scripts/peers/install.sh'
})
afterAll(async () => {
  await dovecot?.stop()
})

/** Runs the queue hook once for a transaction. */
function queue(args: string, tx: { sender?: string; recipients: string[]; message: string | Buffer }) {
  return runQueue(plugin, {
    args,
    connection: { remoteIp: '192.0.2.7' },
    transaction: { ...tx, sender: tx.sender ?? 'sender@example.org' },
  })
}

describe('queue/lmtp', () => {
  it('declares the same core range at run time as in its peerDependencies', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('refuses to load with a bad target or an unknown argument', async () => {
    await expect(loadPlugin(plugin, { args: 'host:notaport' })).rejects.toThrow(/bad target/)
    await expect(loadPlugin(plugin, { args: '127.0.0.1:24 pipelinig no' })).rejects.toThrow(
      /unknown argument "pipelinig"/,
    )
  })

  it('delivers to every recipient over TCP, with the current header and intact dot lines', async (t) => {
    if (skip) return t.skip(skip)
    const d = dovecot!
    const before = d.messages('alice@example.com').length
    const { result } = await queue(`127.0.0.1:${d.port}`, {
      recipients: ['alice@example.com', 'carol@example.com'],
      message: Buffer.from('Subject: tcp delivery\r\n\r\nfirst\r\n.leading dot\r\nbare\nlf\r\n'),
    })
    expect(result).toMatchObject({ code: OK, enhanced: '2.0.0' })
    const alice = d.messages('alice@example.com')
    expect(alice.length).toBe(before + 1)
    const got = alice.at(-1)!
    expect(got).toMatch(/^Return-Path: <sender@example\.org>\n/)
    // Dovecot stores LF line ends; the dot line arrived unstuffed, the bare LF became a line end.
    expect(got).toContain('Subject: tcp delivery\n\nfirst\n.leading dot\nbare\nlf\n')
    expect(d.messages('carol@example.com').at(-1)).toContain('Subject: tcp delivery')
  })

  it('delivers over the unix socket (without pipelining)', async (t) => {
    if (skip) return t.skip(skip)
    const d = dovecot!
    const { result } = await queue(`unix:${d.socketPath} pipelining no`, {
      recipients: ['carol@example.com'],
      message: 'Subject: over unix\n\nhi\n',
    })
    expect(result.code).toBe(OK)
    expect(d.messages('carol@example.com').some((m) => m.includes('Subject: over unix'))).toBe(true)
  })

  it('an unknown user is that recipient’s failure: 550 5.1.1 passed through, nothing delivered', async (t) => {
    if (skip) return t.skip(skip)
    const d = dovecot!
    const alone = await queue(`127.0.0.1:${d.port}`, {
      recipients: ['nobody@example.com'],
      message: 'Subject: to nobody\n\nx\n',
    })
    expect(alone.result).toMatchObject({ code: DENY, reply: 550, enhanced: '5.1.1' })
    expect(alone.result.message).toEqual(["<nobody@example.com> User doesn't exist: nobody@example.com"])

    const before = d.messages('alice@example.com').length
    const mixed = await queue(`127.0.0.1:${d.port}`, {
      recipients: ['alice@example.com', 'nobody@example.com'],
      message: 'Subject: mixed at rcpt\n\nx\n',
    })
    expect(mixed.result).toMatchObject({ code: DENY, reply: 550, enhanced: '5.1.1' })
    expect(mixed.result.message).toEqual([
      "<nobody@example.com> User doesn't exist: nobody@example.com",
      '<alice@example.com>: not sent (another recipient failed)',
      "<nobody@example.com>: 550 5.1.1 <nobody@example.com> User doesn't exist: nobody@example.com",
    ])
    // Refused before DATA: alice got nothing, so the client's retry cannot duplicate.
    expect(d.messages('alice@example.com').length).toBe(before)
  })

  it('a per-recipient failure after DATA: DENY naming who got it (quota 5.2.2)', async (t) => {
    if (skip) return t.skip(skip)
    const d = dovecot!
    const before = d.messages('alice@example.com').length
    const { result } = await queue(`127.0.0.1:${d.port}`, {
      recipients: ['alice@example.com', 'bob@example.com'],
      message: 'Subject: mixed after data\n\nx\n',
    })
    expect(result).toMatchObject({ code: DENY, reply: 552, enhanced: '5.2.2' })
    expect(result.message).toEqual([
      '<bob@example.com> Quota exceeded (mailbox for user is full)',
      '<alice@example.com>: delivered',
      '<bob@example.com>: 552 5.2.2 <bob@example.com> Quota exceeded (mailbox for user is full)',
    ])
    expect(d.messages('alice@example.com').length).toBe(before + 1)
    expect(d.messages('bob@example.com')).toEqual([])
  })

  it('connection refused and a missing socket: DENYSOFT 4.4.1', async () => {
    const port = await freePort()
    const tcp = await queue(`127.0.0.1:${port}`, { recipients: ['alice@example.com'], message: 'x\n' })
    expect(tcp.result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.1' })
    expect(tcp.logs.some((l) => /ECONNREFUSED/.test(l.message))).toBe(true)
    const unix = await queue('unix:/nonexistent/lmtp.sock', {
      recipients: ['alice@example.com'],
      message: 'x\n',
    })
    expect(unix.result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.1' })
  })

  describe('a server that never answers', () => {
    let server: Server
    let port: number
    const sockets: Socket[] = []
    const closed: Promise<void>[] = []
    beforeAll(async () => {
      server = createServer((s) => {
        sockets.push(s)
        closed.push(new Promise((r) => s.once('close', () => r())))
        s.on('error', () => {})
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      port = (server.address() as { port: number }).port
    })
    afterAll(async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    })

    it('answers DENYSOFT 4.4.2 before the hook deadline and closes the connection', async () => {
      const { result } = await queue(`127.0.0.1:${port} hook_timeout 1`, {
        recipients: ['alice@example.com'],
        message: 'x\n',
      })
      // Our own answer (not the dispatcher's generic timeout failure).
      expect(result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.2' })
      expect(result.failure).toBeUndefined()
      await closed.at(-1)
    })

    it('stops when the client goes away (ctx.signal)', async () => {
      const h = await loadPluginForTest(plugin, { args: `127.0.0.1:${port}` })
      const s = h.session()
      const tx = s.begin({ sender: 'a@example.org', recipients: ['alice@example.com'] })
      tx.body = testMessage('x\n')
      const n = sockets.length
      const pending = h.first('queue', s)
      while (sockets.length === n) await new Promise((r) => setTimeout(r, 10))
      s.disconnect()
      expect((await pending).code).toBe(DENYSOFT)
      await closed.at(-1)
    })
  })

  it('end to end: swaks → Postern → Dovecot LMTP', async (t) => {
    if (skip) return t.skip(skip)
    if (!swaksBinary()) return t.skip('swaks is not installed: scripts/peers/install.sh')
    const d = dovecot!
    const p = await startServer({
      plugins: [acceptRecipients, plugin],
      pluginLines: [acceptRecipients.name, `queue/lmtp 127.0.0.1:${d.port}`],
      config: { me: 'mx.postern.test\n', spool_dir: 'spool\n' },
    })
    try {
      const good = await swaks(p.port, [
        '-f',
        'swaks@example.org',
        '-t',
        'alice@example.com',
        '--header',
        'Subject: e2e lmtp',
        '--body',
        'hello over lmtp',
      ])
      expect(good.code, good.output).toBe(0)
      expect(good.output).toMatch(/<- {2}250 2\.0\.0 Delivered to 1 recipient/)
      const got = d.messages('alice@example.com').find((m) => m.includes('Subject: e2e lmtp'))
      expect(got).toBeDefined()
      // The engine's Received header travelled with the message.
      expect(got).toMatch(/Received: from .*\n\tby mx\.postern\.test \(Postern\)/)
      const bad = await swaks(p.port, ['-f', 'swaks@example.org', '-t', 'nobody@example.com'])
      expect(bad.output).toMatch(/<\*\* 550 5\.1\.1 <nobody@example\.com> User doesn't exist/)
    } finally {
      await p.close()
    }
  })
})
