import { connect, type Socket } from 'node:net'
import { DECLINED, DENY, definePlugin, deny, denysoft, OK, ok } from '@postern/core'
import { describe, expect, it } from 'vitest'
import {
  loadPlugin,
  loadPluginForTest,
  type MockHooks,
  mockPlugin,
  openSession,
  startServer,
} from '../src/index.js'

/** The plugin under test: notes the client's hello on the connection, refuses one recipient. */
const noter = definePlugin({
  name: 'noter',
  core: '^1.0.0',
  hooks: {
    helo(ctx, host) {
      ctx.connection.notes.set('hello_seen', host)
    },
    rcpt(_ctx, rcpt) {
      if (rcpt.user === 'blocked') return deny('Blocked', '5.7.1')
    },
  },
})

describe('mockPlugin', () => {
  it('records each call with its arguments and plays its verdicts in turn, then DECLINED', async () => {
    const mock = mockPlugin('mock_rcpt', { rcpt: [deny('First', '5.7.1'), undefined, ok('Third')] })
    const h = await loadPluginForTest(mock)
    const s = h.session()
    s.begin({ sender: 'a@example.org' })
    expect(await h.rcpt('one@example.com', { session: s })).toMatchObject({ code: DENY, message: ['First'] })
    expect((await h.rcpt('two@example.com', { session: s })).code).toBe(DECLINED)
    expect(await h.rcpt('three@example.com', { session: s })).toMatchObject({ code: OK, message: ['Third'] })
    expect((await h.rcpt('four@example.com', { session: s })).code).toBe(DECLINED)
    expect(mock.callsOf('rcpt').map(([rcpt]) => rcpt.user)).toEqual(['one', 'two', 'three', 'four'])
    expect(mock.calls.map((c) => c.hook)).toEqual(['rcpt', 'rcpt', 'rcpt', 'rcpt'])

    mock.reset()
    expect(mock.calls).toEqual([])
    expect((await h.rcpt('again@example.com', { session: s })).code).toBe(DENY) // the list starts over
  })

  it('a single verdict answers every call; a function hook sees the context and its return counts', async () => {
    const mock = mockPlugin('mock_mixed', {
      mail: denysoft('Later', '4.7.1'),
      rcpt: (ctx, rcpt) =>
        ctx.transaction.recipients.length === 0 && rcpt.host === 'example.com' ? ok() : undefined,
      capabilities: (_ctx, caps) => [...caps, 'XMOCK'],
      disconnect: () => {},
    })
    const h = await loadPluginForTest(mock)
    expect((await h.mail('a@example.org')).code).toBe(902)
    expect((await h.mail('b@example.org')).code).toBe(902)
    expect((await h.rcpt('x@example.com')).code).toBe(OK)
    expect((await h.rcpt('x@example.net')).code).toBe(DECLINED)
    expect(await h.reduce('capabilities', h.session(), ['PIPELINING'])).toEqual(['PIPELINING', 'XMOCK'])
    await h.notify('disconnect', h.session())
    expect(mock.calls.map((c) => c.hook)).toEqual([
      'mail',
      'mail',
      'rcpt',
      'rcpt',
      'capabilities',
      'disconnect',
    ])
    expect(mock.callsOf('capabilities')).toEqual([[['PIPELINING']]]) // a reduce hook's value comes first
    expect(mock.callsOf('mail')[1]![0].format()).toBe('<b@example.org>')
  })

  it('goes before or after the plugin under test in loadPlugin', async () => {
    const before = mockPlugin('mock_before', { rcpt: [ok('Whitelisted')] })
    const after = mockPlugin('mock_after', { helo: () => {}, rcpt: ok() })
    const h = await loadPlugin(noter, { before: [before], after: [{ plugin: after, args: 'x 1' }] })
    try {
      expect(h.host.plugins.map((p) => p.name)).toEqual(['mock_before', 'noter', 'mock_after'])
      const s = h.session()
      await h.helo('client.example', { session: s })
      // The mock after the plugin sees what it left on the connection.
      expect(after.callsOf('helo')).toEqual([['client.example']])
      expect(s.connection.notes.get('hello_seen')).toBe('client.example')
      s.begin({ sender: 'a@example.org' })
      // The mock before it decides first; once it declines, the plugin under test refuses.
      expect(await h.rcpt('blocked@example.com', { session: s })).toMatchObject({
        code: OK,
        plugin: 'mock_before',
      })
      expect(await h.rcpt('blocked@example.com', { session: s })).toMatchObject({
        code: DENY,
        plugin: 'noter',
      })
      expect(await h.rcpt('fine@example.com', { session: s })).toMatchObject({
        code: OK,
        plugin: 'mock_after',
      })
      expect(after.callsOf('rcpt').map(([r]) => r.user)).toEqual(['fine'])
    } finally {
      await h.close()
    }
  })

  it('refuses a hook name that does not exist', () => {
    expect(() => mockPlugin('typo', { rcpt_to: ok() } as unknown as MockHooks)).toThrow(
      'mockPlugin(typo): rcpt_to is not a hook',
    )
  })
})

describe('mockPlugin in the engine', () => {
  it('openSession: the mock accepts recipients and sees the message at queue', async () => {
    const queue = mockPlugin('mock_queue', { queue: ok('Queued by mock') })
    const accept = mockPlugin('mock_accept', { rcpt: ok() })
    const s = await openSession({ plugins: [noter, accept, queue] })
    try {
      await s.command('EHLO client.example')
      await s.command('MAIL FROM:<a@example.org>')
      expect(await s.command('RCPT TO:<blocked@example.com>')).toBe('550 5.7.1 Blocked')
      expect(await s.command('RCPT TO:<b@example.com>')).toBe('250 2.1.5 <b@example.com>, recipient ok')
      await s.command('DATA')
      expect(await s.command('Subject: t\r\n\r\nhello\r\n.')).toBe('250 2.0.0 Queued by mock')
      expect(accept.callsOf('rcpt').map(([r]) => r.format())).toEqual(['<b@example.com>'])
      expect(queue.calls.map((c) => c.hook)).toEqual(['queue'])
    } finally {
      await s.close()
    }
  })

  it('startServer: a real client over TCP, answered by the mocks', async () => {
    const queue = mockPlugin('mock_queue', { queue: ok('Queued by mock') })
    const srv = await startServer({ plugins: [noter, mockPlugin('mock_accept', { rcpt: ok() }), queue] })
    try {
      const c = await SmtpLines.open(srv.port)
      expect(await c.reply()).toMatch(/^220 /)
      expect(await c.send('EHLO client.example')).toMatch(/^250-/)
      expect(await c.send('MAIL FROM:<a@example.org>')).toMatch(/^250 /)
      expect(await c.send('RCPT TO:<blocked@example.com>')).toBe('550 5.7.1 Blocked')
      expect(await c.send('RCPT TO:<b@example.com>')).toMatch(/^250 /)
      expect(await c.send('DATA')).toMatch(/^354 /)
      expect(await c.send('Subject: t\r\n\r\nhello\r\n.')).toBe('250 2.0.0 Queued by mock')
      expect(await c.send('QUIT')).toMatch(/^221 /)
      c.socket.destroy()
      expect(queue.calls).toHaveLength(1)
    } finally {
      await srv.close()
    }
  })
})

/** Just enough of an SMTP client: send a line, read one whole (maybe multi-line) reply. */
class SmtpLines {
  #buf = ''
  #closed = false
  #wake: (() => void) | undefined
  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      this.#buf += d
      this.#wake?.()
    })
    socket.on('close', () => {
      this.#closed = true
      this.#wake?.()
    })
  }

  static open(port: number): Promise<SmtpLines> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new SmtpLines(s)))
      s.once('error', reject)
    })
  }

  async reply(): Promise<string> {
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(this.#buf)
      if (m) {
        this.#buf = this.#buf.slice(m[0].length)
        return m[0].trimEnd()
      }
      if (this.#closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.#buf)}`)
      await new Promise<void>((r) => {
        this.#wake = r
      })
    }
  }

  send(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`)
    return this.reply()
  }
}
