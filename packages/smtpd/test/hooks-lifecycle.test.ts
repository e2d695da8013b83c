/**
 * The hooks around the commands: when each lifecycle hook fires, what it sees, and the reply
 * each verdict gets (qpsmtpd's mapping, reference §1.4 and §1.7).
 */
import {
  DENY,
  DENY_DISCONNECT,
  DENYSOFT,
  DENYSOFT_DISCONNECT,
  DONE,
  definePlugin,
  OK,
  type PluginDefinition,
  type PluginHooks,
  type QueueResult,
  type ReceivedInfo,
} from '@postern/core'
import { afterEach, describe, expect, it } from 'vitest'
import { engine, type TestEngine, toData } from './helpers.js'

let e: TestEngine | undefined
afterEach(async () => {
  await e?.close()
  e = undefined
})

const plugin = (name: string, hooks: PluginHooks): PluginDefinition =>
  definePlugin({ name, core: '^1.0.0', hooks })

/** Records the hooks that fire, in order, with whether a transaction was visible. */
function recorder(events: string[]): PluginDefinition {
  const note = (name: string) => (ctx: { transaction?: unknown }) => {
    events.push(ctx.transaction ? `${name}(tx)` : name)
  }
  return plugin('recorder', {
    'pre-connection': note('pre-connection'),
    connect: note('connect'),
    reset_transaction: note('reset_transaction'),
    disconnect: note('disconnect'),
    'post-connection': note('post-connection'),
  })
}

describe('connection lifecycle hooks', () => {
  it('pre-connection, connect, then disconnect (transaction still visible), reset_transaction, post-connection', async () => {
    const events: string[] = []
    e = await engine({ plugins: [recorder(events)] })
    const s = await e.open()
    expect(await s.greeting).toMatch(/^220 /)
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    s.end()
    await s.ended
    expect(events).toEqual([
      'pre-connection',
      'connect',
      'disconnect(tx)',
      'reset_transaction(tx)',
      'post-connection',
    ])
  })

  it.each([
    [DENY, '550 5.7.1 Connection from you denied, bye bye.'],
    [DENYSOFT, '451 4.7.1 Connection from you temporarily denied, try again later'],
    [DENY_DISCONNECT, '550 5.7.1 Connection from you denied, bye bye.'],
    [DENYSOFT_DISCONNECT, '451 4.7.1 Connection from you temporarily denied, try again later'],
  ] as const)('pre-connection %i refuses before connect and closes', async (code, expected) => {
    const events: string[] = []
    e = await engine({ plugins: [plugin('gate', { 'pre-connection': () => ({ code }) }), recorder(events)] })
    const s = await e.open()
    expect(await s.greeting).toBe(expected)
    await s.ended
    // connect never ran; the closing hooks did.
    expect(events).toEqual(['disconnect', 'post-connection'])
  })

  it('reset_transaction fires on RSET, on MAIL after a plugin answered MAIL itself, and after queueing', async () => {
    const events: string[] = []
    let first = true
    e = await engine({
      plugins: [
        recorder(events),
        plugin('mail_once', {
          async mail(ctx) {
            if (!first) return
            first = false
            await ctx.respond(250, 'sender noted by plugin')
            return { code: DONE }
          },
        }),
      ],
    })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    expect(await s.command('MAIL FROM:<a@example.org>')).toBe('250 2.1.0 sender noted by plugin')
    expect(await s.command('MAIL FROM:<a@example.org>')).toMatch(/^250 2\.1\.0 /)
    await s.command('RCPT TO:<b@example.com>')
    expect(await s.command('RSET')).toBe('250 2.0.0 OK')
    await s.command('MAIL FROM:<a@example.org>')
    await s.command('RCPT TO:<b@example.com>')
    await s.command('DATA')
    expect(await s.command('Subject: x\r\n\r\nbody\r\n.')).toBe('250 2.0.0 Queued for test')
    expect(events.filter((x) => x.startsWith('reset_transaction'))).toEqual([
      'reset_transaction(tx)', // the DONE transaction, ended by the next MAIL
      'reset_transaction(tx)', // RSET
      'reset_transaction(tx)', // after the queue
    ])
  })
})

describe('command hooks', () => {
  it('quit DONE: the plugin writes its own 221 (with the default enhanced code) and the session ends', async () => {
    const events: string[] = []
    e = await engine({
      plugins: [
        recorder(events),
        plugin('fortune', {
          async quit(ctx) {
            await ctx.respond(221, 'A fortune for the road')
            return { code: DONE }
          },
        }),
      ],
    })
    const s = await e.open()
    await s.greeting
    expect(await s.command('QUIT')).toBe('221 2.0.0 A fortune for the road')
    await s.ended
    expect(s.pending()).toEqual([])
    expect(events).toContain('disconnect')
  })

  it('help DENY → 500 5.5.1; help OK with lines → 214 with those lines', async () => {
    e = await engine({
      plugins: [
        plugin('helper', {
          help: (_ctx, arg) =>
            arg === 'secret' ? { code: DENY } : { code: OK, message: ['Commands: EHLO MAIL RCPT', 'Ask us'] },
        }),
      ],
    })
    const s = await e.open()
    await s.greeting
    expect(await s.command('HELP secret')).toBe('500 5.5.1 Syntax error, command not recognized')
    expect(await s.command('HELP')).toBe('214-2.0.0 Commands: EHLO MAIL RCPT\r\n214 2.0.0 Ask us')
  })

  it('capabilities: a keyword added by a plugin is advertised, a removed one is not', async () => {
    e = await engine({
      plugins: [
        plugin('caps', {
          capabilities: (_ctx, caps) => [...caps.filter((c) => c !== 'CHUNKING'), 'XFOO'],
        }),
      ],
    })
    const s = await e.open()
    await s.greeting
    const ehlo = await s.command('EHLO c')
    expect(ehlo).toMatch(/^250[ -]XFOO$/m)
    expect(ehlo).not.toMatch(/CHUNKING/)
    expect(ehlo).toMatch(/^250[ -]PIPELINING$/m)
  })

  it('vrfy DENY → 554 5.7.1 and the transaction is reset (qpsmtpd)', async () => {
    const events: string[] = []
    e = await engine({ plugins: [recorder(events), plugin('no_vrfy', { vrfy: () => ({ code: DENY }) })] })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    await s.command('RCPT TO:<b@example.com>')
    expect(await s.command('VRFY bob')).toBe('554 5.7.1 Access Denied')
    expect(events).toContain('reset_transaction(tx)')
    expect(await s.command('DATA')).toBe('503 5.5.1 MAIL first')
  })
})

describe('message hooks', () => {
  it('data_post_headers runs before the engine adds its headers; its header is kept', async () => {
    let receivedThen: string | undefined = 'not run'
    e = await engine({
      plugins: [
        plugin('tagger', {
          data_post_headers(ctx) {
            receivedThen = ctx.transaction.header?.get('Received')
            ctx.transaction.header?.add('X-Tagged', 'yes')
          },
        }),
      ],
    })
    const s = await e.open()
    await toData(s)
    expect(await s.command('Subject: x\r\n\r\nbody\r\n.')).toMatch(/^250 /)
    expect(receivedThen).toBeUndefined()
    const m = e.queued[0]!.message
    expect(m).toMatch(/^Received: /)
    expect(m).toContain('X-Tagged: yes\r\n')
    expect(m.indexOf('Received:')).toBeLessThan(m.indexOf('X-Tagged:'))
  })

  it('queue_pre DONE: no queue hook runs, the plugin replied, the transaction ends', async () => {
    const events: string[] = []
    e = await engine({
      plugins: [
        recorder(events),
        plugin('holder', {
          async queue_pre(ctx) {
            await ctx.respond(250, 'Held by queue_pre')
            return { code: DONE }
          },
        }),
      ],
    })
    const s = await e.open()
    await toData(s)
    expect(await s.command('Subject: x\r\n\r\nbody\r\n.')).toBe('250 2.0.0 Held by queue_pre')
    expect(e.queued).toHaveLength(0)
    expect(events).toContain('reset_transaction(tx)')
    expect(await s.command('MAIL FROM:<a@example.org>')).toMatch(/^250 /)
  })

  it('queue_post sees the queue result after the reply; a refusal too', async () => {
    const results: QueueResult[] = []
    e = await engine({
      plugins: [
        plugin('after', {
          queue_post(_ctx, result) {
            results.push(result)
          },
        }),
      ],
    })
    const s = await e.open()
    await toData(s)
    expect(await s.command('Subject: x\r\n\r\nbody\r\n.')).toBe('250 2.0.0 Queued for test')
    expect(results).toEqual([{ code: OK, message: ['Queued for test'], plugin: 'test_capture_queue' }])
    await e.close()

    results.length = 0
    e = await engine({
      queue: false,
      plugins: [
        plugin('after', { queue_post: (_ctx, result) => void results.push(result) }),
        plugin('full_disk', { queue: () => ({ code: DENYSOFT, message: 'disk full' }) }),
      ],
    })
    const t = await e.open()
    await toData(t)
    expect(await t.command('Subject: x\r\n\r\nbody\r\n.')).toBe('452 4.3.0 disk full')
    expect(results).toEqual([{ code: DENYSOFT, message: ['disk full'], plugin: 'full_disk' }])
  })

  it.each([
    [DENY_DISCONNECT, '554 5.7.1 Message denied'],
    [DENYSOFT_DISCONNECT, '421 4.7.1 Message denied temporarily'],
  ] as const)(
    'data_headers_end %i replies at the end of the header, before the dot, and closes',
    async (code, expected) => {
      e = await engine({ plugins: [plugin('early', { data_headers_end: () => ({ code }) })] })
      const s = await e.open()
      await toData(s)
      // The body has not arrived and never will: the reply comes at the blank line.
      s.send('Subject: x\r\n\r\nfirst body line\r\n')
      expect(await s.reply()).toBe(expected)
      await s.ended
      expect(e.queued).toHaveLength(0)
    },
  )

  it('data_headers_end DENY is answered after the dot; the session goes on', async () => {
    e = await engine({
      plugins: [plugin('late', { data_headers_end: () => ({ code: DENY, message: 'no' }) })],
    })
    const s = await e.open()
    await toData(s)
    s.send('Subject: x\r\n\r\nbody\r\n')
    // The first reply is the one to the dot: nothing was answered at the blank line.
    expect(await s.command('.')).toBe('554 5.7.1 no')
    expect(await s.command('NOOP')).toBe('250 2.0.0 OK')
    expect(e.queued).toHaveLength(0)
  })
})

describe('received_line', () => {
  const send = async (plugins: PluginDefinition[]) => {
    e = await engine({ plugins })
    const s = await e.open()
    await toData(s)
    expect(await s.command('Subject: x\r\n\r\nbody\r\n.')).toMatch(/^250 /)
    return e.queued[0]!.message
  }

  it('a plugin replaces the Received value, and sees the protocol name', async () => {
    const infos: ReceivedInfo[] = []
    const m = await send([
      plugin('my_received', {
        received_line(_ctx, _value, info) {
          infos.push(info)
          return `from client by mx.test.example with ${info.protocol};\r\n\tThu, 1 Jan 2026 00:00:00 +0000`
        },
      }),
    ])
    expect(infos).toEqual([{ protocol: 'ESMTP' }])
    expect(m).toMatch(
      /^Received: from client by mx\.test\.example with ESMTP;\r\n\tThu, 1 Jan 2026 00:00:00 \+0000\r\n/,
    )
    expect(m.match(/^Received:/gm)).toHaveLength(1)
  })

  it('a plugin alters the engine’s value; plugins run in order, each on the last value', async () => {
    const m = await send([
      plugin('first', { received_line: (_ctx, value) => value.replace('(Postern)', '(Postern, first)') }),
      plugin('second', { received_line: (_ctx, value) => value.replace('first)', 'first, second)') }),
      plugin('silent', { received_line: () => undefined }),
    ])
    expect(m).toMatch(
      /^Received: from client\.example \(\[192\.0\.2\.1\]\)\r\n\tby mx\.test\.example \(Postern, first, second\) with ESMTP id /,
    )
  })

  it('a value that would break the header (bare LF, unfolded CRLF) is ignored: ours is used', async () => {
    for (const bad of ['x\nX-Injected: 1', 'x\r\nX-Injected: 1', '']) {
      const m = await send([plugin('evil', { received_line: () => bad })])
      expect(m).not.toContain('X-Injected')
      expect(m).toMatch(
        /^Received: from client\.example \(\[192\.0\.2\.1\]\)\r\n\tby mx\.test\.example \(Postern\)/,
      )
      await e!.close()
      e = undefined
    }
  })
})

describe('replies a plugin writes itself (respond + DONE)', () => {
  it('get the default enhanced code of their class, or the command’s usual one', async () => {
    e = await engine({
      accept: false,
      plugins: [
        plugin('speaker', {
          async rcpt(ctx, r) {
            if (r.user === 'ok') await ctx.respond(250, 'taken by plugin')
            else if (r.user === 'soft') await ctx.respond(451, 'later')
            else if (r.user === 'own') await ctx.respond(550, '5.1.1 no such user')
            else await ctx.respond(550, ['no', 'really not'])
            return { code: DONE }
          },
          async noop(ctx) {
            await ctx.respond(250, 'noop by plugin', '2.0.9')
            return { code: DONE }
          },
        }),
      ],
    })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    expect(await s.command('RCPT TO:<ok@example.com>')).toBe('250 2.1.5 taken by plugin')
    expect(await s.command('RCPT TO:<soft@example.com>')).toBe('451 4.0.0 later')
    expect(await s.command('RCPT TO:<own@example.com>')).toBe('550 5.1.1 no such user')
    expect(await s.command('RCPT TO:<x@example.com>')).toBe('550-5.0.0 no\r\n550 5.0.0 really not')
    expect(await s.command('NOOP')).toBe('250 2.0.9 noop by plugin')
  })

  it('not on a banner or a HELO/EHLO reply (RFC 2034 §3)', async () => {
    e = await engine({
      plugins: [
        plugin('banner', {
          async connect(ctx) {
            await ctx.respond(220, 'custom banner ESMTP')
            return { code: DONE }
          },
          async helo(ctx, host) {
            await ctx.respond(250, `hi ${host}`)
            return { code: DONE }
          },
        }),
      ],
    })
    const s = await e.open()
    expect(await s.greeting).toBe('220 custom banner ESMTP')
    expect(await s.command('HELO c')).toBe('250 hi c')
  })
})
