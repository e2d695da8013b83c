import { DENY, DENYSOFT, definePlugin } from '@postern/core'
import { afterEach, describe, expect, it } from 'vitest'
import { engine, type TestEngine, toData } from './helpers.js'

let e: TestEngine | undefined
afterEach(async () => {
  await e?.close()
  e = undefined
})

describe('the SMTP conversation', () => {
  it('greets, advertises extensions, and queues a message with trace headers', async () => {
    e = await engine()
    const s = await e.open()
    expect(await s.greeting).toBe('220 mx.test.example ESMTP Postern ready')
    const ehlo = await s.command('EHLO client.example')
    for (const cap of [
      'PIPELINING',
      '8BITMIME',
      'SMTPUTF8',
      'ENHANCEDSTATUSCODES',
      'CHUNKING',
      'SIZE 26214400',
    ])
      expect(ehlo).toMatch(new RegExp(`^250[- ]${cap}$`, 'm'))
    expect(await s.command('MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME')).toBe(
      '250 2.1.0 <a@example.org>, sender OK',
    )
    expect(await s.command('RCPT TO:<b@example.com>')).toBe('250 2.1.5 <b@example.com>, recipient ok')
    expect(await s.command('DATA')).toMatch(/^354 /)
    expect(await s.command('Subject: hi\r\n\r\nline one\r\n..dot line\r\n.')).toBe(
      '250 2.0.0 Queued for test',
    )
    expect(e.queued).toHaveLength(1)
    const m = e.queued[0]!
    expect(m.raw).toBe('Subject: hi\r\n\r\nline one\r\n.dot line\r\n')
    expect(m.message).toMatch(
      /^Received: from client\.example \(\[192\.0\.2\.1\]\)\r\n\tby mx\.test\.example \(Postern\) with ESMTP id /,
    )
    expect(m.message).toContain('Authentication-Results: mx.test.example; none\r\n')
    expect(m.message.endsWith('Subject: hi\r\n\r\nline one\r\n.dot line\r\n')).toBe(true)
    expect(await s.command('QUIT')).toMatch(/^221 2\.0\.0 /)
    await s.ended
  })

  it('enforces command order with 503 5.5.1', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    expect(await s.command('MAIL FROM:<a@example.org>')).toBe('503 5.5.1 Please say hello first')
    await s.command('HELO client.example')
    expect(await s.command('RCPT TO:<b@example.com>')).toBe('503 5.5.1 MAIL first')
    expect(await s.command('DATA')).toBe('503 5.5.1 MAIL first')
    await s.command('MAIL FROM:<>')
    expect(await s.command('MAIL FROM:<a@example.org>')).toMatch(/^503 5\.5\.1/)
    expect(await s.command('DATA')).toBe('554 5.5.1 No valid recipients')
    expect(await s.command('RSET')).toBe('250 2.0.0 OK')
  })

  it('fails closed: no rcpt plugin → 450, no queue plugin → 451, never 250', async () => {
    e = await engine({ accept: false, queue: false })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    expect(await s.command('RCPT TO:<b@example.com>')).toBe(
      '450 4.7.1 No plugin decided if relaying is allowed',
    )
    await e.close()
    e = await engine({ queue: false })
    const t = await e.open()
    await toData(t)
    expect(await t.command('x\r\n.')).toBe('451 4.3.0 Queuing declined or disabled; try again later')
  })

  it('checks SIZE at MAIL and counts bytes during DATA', async () => {
    e = await engine({ config: { databytes: '1000\n' } })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    expect(await s.command('MAIL FROM:<a@example.org> SIZE=1001')).toBe(
      '552 5.3.4 Message size exceeds the limit of 1000 bytes',
    )
    expect(await s.command('MAIL FROM:<a@example.org> SIZE=abc')).toBe('501 5.5.4 Bad SIZE value')
    expect(await s.command('MAIL FROM:<a@example.org> FOO=1')).toBe('555 5.5.4 Unsupported parameter FOO')
    await s.command('MAIL FROM:<a@example.org>')
    await s.command('RCPT TO:<b@example.com>')
    await s.command('DATA')
    expect(await s.command(`Subject: big\r\n\r\n${'x'.repeat(2000)}\r\n.`)).toBe('552 5.3.4 Message too big')
    expect(e.queued).toHaveLength(0)
    // The session goes on after the refusal.
    expect(await s.command('MAIL FROM:<a@example.org>')).toMatch(/^250 /)
  })

  it('refuses recipients beyond max_rcpts with 452 4.5.3 and keeps the earlier ones', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    let wire = ''
    for (let i = 0; i < 1050; i++) wire += `RCPT TO:<u${i}@example.com>\r\n`
    s.send(wire)
    const replies: string[] = []
    for (let i = 0; i < 1050; i++) replies.push(await s.reply())
    expect(replies.slice(0, 1000).every((r) => r.startsWith('250 2.1.5 '))).toBe(true)
    // Over-limit refusals are recipient overshoot, not client errors: they do not reach max_errors.
    expect(replies.slice(1000).every((r) => r === '452 4.5.3 Too many recipients')).toBe(true)
    expect(await s.command('DATA')).toMatch(/^354 /)
    expect(await s.command('Subject: many\r\n\r\nbody\r\n.')).toBe('250 2.0.0 Queued for test')
    expect(e.queued[0]!.recipients).toHaveLength(1000)
    expect(e.queued[0]!.recipients[999]).toBe('<u999@example.com>')
  }, 20_000)

  it('answers 8-bit addresses without SMTPUTF8 with 553 5.6.7 and accepts them with it', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    expect(await s.command('MAIL FROM:<jörg@example.org>')).toBe(
      '553 5.6.7 Must declare SMTPUTF8 to send unicode address',
    )
    expect(await s.command('MAIL FROM:<jörg@example.org> SMTPUTF8')).toMatch(
      /^250 2\.1\.0 <jörg@example.org>/,
    )
    expect(await s.command('RCPT TO:<用户@例子.广告>')).toMatch(/^250 /)
  })

  it('refuses bad addresses with 501 and the right enhanced code', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    expect(await s.command('MAIL FROM:<a@b@example.org>')).toMatch(/^501 5\.1\.7 /)
    await s.command('MAIL FROM:<a@example.org>')
    expect(await s.command('RCPT TO:<>')).toMatch(/^501 5\.1\.3 /)
    expect(await s.command('RCPT TO:<v@external.example@us.example>')).toMatch(/^501 5\.1\.3 /)
    expect(await s.command('RCPT TO:<Postmaster>')).toMatch(/^250 /)
    expect(await s.command('RCPT TO:<@us.example:v@external.example>')).toBe(
      '250 2.1.5 <v@external.example>, recipient ok',
    )
  })

  it('NOOP, VRFY, HELP, unknown commands, and the unknown-command limit', async () => {
    e = await engine({ config: { max_unrecognized: '3\n' } })
    const s = await e.open()
    await s.greeting
    expect(await s.command('NOOP')).toBe('250 2.0.0 OK')
    expect(await s.command('VRFY bob')).toBe(
      "252 2.5.2 Just try sending a mail and we'll see how it turns out ...",
    )
    expect(await s.command('HELP')).toMatch(/^214-2\.0\.0 /)
    expect(await s.command('XYZZY')).toBe('500 5.5.1 Unrecognized command')
    expect(await s.command('EXPN list')).toBe('500 5.5.1 Unrecognized command')
    expect(await s.command('FOO')).toBe('500 5.5.1 Unrecognized command')
    expect(await s.reply()).toMatch(/^421 4\.7\.0 /)
    await s.ended
  })

  it('closes on an HTTP request to the SMTP port', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    expect(await s.command('POST / HTTP/1.1')).toMatch(/^421 4\.7\.0 .*HTTP requests not allowed/)
    await s.ended
  })

  it('answers an over-long command line once, without keeping it', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    expect(await s.command(`EHLO ${'a'.repeat(10_000)}`)).toBe('500 5.5.6 Line too long')
    // 10 MB without CRLF: memory stays bounded (the reader discards as it goes).
    for (let i = 0; i < 160; i++) s.send(Buffer.alloc(65_536, 0x61))
    await new Promise((r) => setTimeout(r, 20))
    expect(s.session.input.buffered).toBeLessThan(3000)
    s.send('\r\n')
    expect(await s.reply()).toBe('500 5.5.6 Line too long')
    expect(await s.command('NOOP')).toBe('250 2.0.0 OK')
  })

  it('refuses NUL and bare CR/LF inside commands', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    expect(await s.command('HELO a\0b')).toBe('501 5.5.2 Syntax error: bad character in command')
    s.send('NOOP\nNOOP\r\n')
    expect(await s.reply()).toBe('501 5.5.2 Syntax error: bad character in command')
  })

  it('closes with 421 after max_errors error replies', async () => {
    e = await engine({ config: { max_errors: '3\n' } })
    const s = await e.open()
    await s.greeting
    await s.command('RCPT TO:<a@b.example>')
    await s.command('RCPT TO:<a@b.example>')
    expect(await s.command('RCPT TO:<a@b.example>')).toBe('503 5.5.1 MAIL first')
    expect(await s.reply()).toMatch(/^421 4\.7\.0 .*Too many errors/)
    await s.ended
  })

  it('keeps a __proto__ header and a __proto__ EHLO harmless', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    expect(await s.command('EHLO __proto__')).toMatch(/^250-/)
    await s.command('MAIL FROM:<__proto__@example.org>')
    await s.command('RCPT TO:<constructor@example.com>')
    await s.command('DATA')
    expect(await s.command('__proto__: x\r\nconstructor: y\r\n\r\nbody\r\n.')).toMatch(/^250 /)
    expect(e.queued[0]!.header!.get('__proto__')).toBe('x')
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it('refuses a header block over max_header_bytes (50,000 header lines) with 552 5.3.4', async () => {
    e = await engine()
    const s = await e.open()
    await toData(s)
    let headers = ''
    for (let i = 0; i < 50_000; i++) headers += `X-H${i}: value\r\n`
    s.send(`${headers}\r\nbody\r\n.\r\n`)
    expect(await s.reply()).toBe('552 5.3.4 Message header too big')
    expect(e.queued).toHaveLength(0)
  })

  it('cuts off DATA arriving slower than data_min_rate with 421 4.4.2', async () => {
    e = await engine({ config: { data_rate_window: '1\n', data_min_rate: '100\n' } })
    const s = await e.open()
    await toData(s)
    let replied: string | undefined
    void s.reply().then((r) => {
      replied = r
    })
    for (let i = 0; i < 30 && !replied; i++) {
      s.send('x')
      await new Promise((r) => setTimeout(r, 100))
    }
    await s.ended
    expect(replied).toMatch(/^421 4\.4\.2 /)
    expect(e.queued).toHaveLength(0)
  }, 10_000)

  it('lets a fast client pause across a rate window end: the window it filled is judged, not the pause', async () => {
    e = await engine({ config: { data_rate_window: '1\n', data_min_rate: '100\n' } })
    const s = await e.open()
    await toData(s)
    // 20 KB at once fills the first window 200 times over; then a pause that outlasts it.
    s.send(`Subject: paused\r\n\r\n${'x'.repeat(20_000)}\r\n`)
    await new Promise((r) => setTimeout(r, 1500))
    // Enough to fill a window too, so a late timer on a busy machine cannot make it look slow.
    s.send(`${'y'.repeat(2_000)}\r\n.\r\n`)
    expect(await s.reply()).toMatch(/^250 2\.0\.0 /)
    expect(e.queued).toHaveLength(1)
  }, 10_000)

  it('still cuts off a client that falls silent for a whole window after a fast start', async () => {
    e = await engine({ config: { data_rate_window: '1\n', data_min_rate: '100\n' } })
    const s = await e.open()
    await toData(s)
    s.send(`Subject: then silence\r\n\r\n${'x'.repeat(20_000)}\r\n`)
    expect(await s.reply()).toMatch(/^421 4\.4\.2 /)
    await s.ended
    expect(e.queued).toHaveLength(0)
  }, 10_000)
})

describe('hook verdicts become replies (qpsmtpd mapping)', () => {
  const judge = (hook: string, code: number, message?: string) =>
    definePlugin({
      name: `judge_${hook}_${code}`,
      core: '^1.0.0',
      hooks: { [hook]: () => ({ code, message }) },
    })

  it.each([
    ['ehlo', DENY, 'EHLO c', '550 5.7.1 Your HELO is not welcome here'],
    ['helo', DENYSOFT, 'HELO c', '450 4.7.1 Try again later'],
    ['mail', DENY, 'MAIL FROM:<a@example.org>', '550 5.7.1 Sender denied'],
    ['mail', DENYSOFT, 'MAIL FROM:<a@example.org>', '450 4.7.1 Sender temporarily denied'],
    ['noop', DENY, 'NOOP', '500 5.5.1 Stop wasting my time.'],
    ['vrfy', 900, 'VRFY x', '250 2.1.5 User OK'],
    ['vrfy', DENY, 'VRFY x', '554 5.7.1 Access Denied'],
    ['unrecognized_command', DENY, 'FOO', '500 5.5.1 Unrecognized command'],
  ])('%s returning %i', async (hook, code, command, expected) => {
    e = await engine({ plugins: [judge(hook, code)] })
    const s = await e.open()
    await s.greeting
    if (hook === 'mail') await s.command('EHLO c')
    expect(await s.command(command)).toBe(expected)
    // Exactly one reply: the next command's reply is its own.
    expect(await s.command('RSET')).toBe('250 2.0.0 OK')
  })

  it('connect DENY refuses with 550 and closes', async () => {
    e = await engine({ plugins: [judge('connect', DENY)] })
    const s = await e.open()
    expect(await s.greeting).toBe('550 5.7.1 Connection from you denied, bye bye.')
    await s.ended
  })

  it('unrecognized_command DENY_DISCONNECT answers 521 and closes', async () => {
    e = await engine({ plugins: [judge('unrecognized_command', 903, 'go away')] })
    const s = await e.open()
    await s.greeting
    expect(await s.command('FOO')).toBe('521 5.5.1 go away')
    await s.ended
  })

  it.each([
    ['data', DENY, 'DATA', '554 5.7.1 Message denied'],
    ['data', DENYSOFT, 'DATA', '451 4.7.1 Message denied temporarily'],
  ])('%s returning %i', async (hook, code, command, expected) => {
    e = await engine({ plugins: [judge(hook, code)] })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    await s.command('RCPT TO:<b@example.com>')
    expect(await s.command(command)).toBe(expected)
  })

  it.each([
    ['data_post', DENY, '552 5.7.1 Message denied'],
    ['data_post', DENYSOFT, '452 4.7.1 Message denied temporarily'],
    ['data_headers_end', DENY, '554 5.7.1 Message denied'],
    ['queue', DENYSOFT, '452 4.3.0 Message denied temporarily'],
  ])('%s returning %i', async (hook, code, expected) => {
    e = await engine({ plugins: [judge(hook, code)], queue: hook !== 'queue' })
    const s = await e.open()
    await toData(s)
    expect(await s.command('Subject: x\r\n\r\nbody\r\n.')).toBe(expected)
    expect(e.queued).toHaveLength(0)
  })

  it('rcpt DENY_DISCONNECT answers 550 and closes; a verdict reply code overrides', async () => {
    e = await engine({
      accept: false,
      plugins: [
        definePlugin({
          name: 'redirector',
          core: '^1.0.0',
          hooks: {
            rcpt: (_c, r) =>
              r.user === 'moved'
                ? {
                    code: DENY,
                    message: 'User not local; please try <new@example.net>',
                    enhanced: '5.1.6',
                    reply: 551,
                  }
                : { code: 903, message: 'bye' },
          },
        }),
      ],
    })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    expect(await s.command('RCPT TO:<moved@example.com>')).toBe(
      '551 5.1.6 User not local; please try <new@example.net>',
    )
    expect(await s.command('RCPT TO:<x@example.com>')).toBe('550 5.7.1 bye')
    await s.ended
  })

  it('a hook that never answers gets 451 4.3.0 at its timeout', async () => {
    e = await engine({
      accept: false,
      config: { plugin_timeout: '0.05\n' },
      plugins: [
        definePlugin({ name: 'stuck', core: '^1.0.0', hooks: { rcpt: () => new Promise(() => {}) } }),
      ],
    })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    expect(await s.command('RCPT TO:<b@example.com>')).toBe('451 4.3.0 Internal error, try again later')
  })

  it('applies a deferred (naughty) reject at RCPT, not at MAIL', async () => {
    e = await engine({
      plugins: [
        definePlugin({
          name: 'naughty_mail',
          core: '^1.0.0',
          hooks: { mail: (ctx) => void ctx.deferReject('Your sender is listed', DENY, '5.7.1') },
        }),
      ],
    })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    expect(await s.command('MAIL FROM:<a@example.org>')).toMatch(/^250 /)
    expect(await s.command('RCPT TO:<b@example.com>')).toBe('550 5.7.1 Your sender is listed')
  })

  it('a multi-line verdict message becomes a multi-line reply', async () => {
    e = await engine({ plugins: [judge('mail', DENY, 'first line\nsecond line')] })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    expect(await s.command('MAIL FROM:<a@example.org>')).toBe('550-5.7.1 first line\r\n550 5.7.1 second line')
  })
})
