import { SMUGGLING_VARIANTS } from '@postern/test-peers'
import { afterEach, describe, expect, it } from 'vitest'
import { engine, type TestEngine, toData } from './helpers.js'

let e: TestEngine | undefined
afterEach(async () => {
  await e?.close()
  e = undefined
})

const SMUGGLED =
  'MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<b@us.example>\r\nDATA\r\nSubject: forged\r\n\r\nsmuggled\r\n'

const VARIANTS = SMUGGLING_VARIANTS

describe('SMTP smuggling: no variant ends DATA early', () => {
  it.each(VARIANTS)('%s: one reply, no smuggled transaction', async (_name, eod) => {
    e = await engine()
    const s = await e.open()
    await toData(s)
    s.send(`Subject: x\r\n\r\nbody${eod}${SMUGGLED}.\r\n`)
    const first = await s.reply()
    // Bare CR or LF → refused; the NUL variant has proper CRLFs and is one ordinary message.
    if (_name === 'nul before dot') expect(first).toMatch(/^250 /)
    else expect(first).toBe('550 5.5.2 Message contains bare CR or LF; lines must end with CRLF')
    expect(await s.command('NOOP')).toBe('250 2.0.0 OK')
    expect(s.pending()).toEqual([])
    expect(e.queued.length).toBeLessThanOrEqual(1)
    for (const m of e.queued) {
      expect(m.raw).toContain('smuggled')
      expect(m.sender).toBe('<a@example.org>')
    }
  })

  it('normalize mode turns bare LF into CRLF but still never ends DATA early', async () => {
    e = await engine({ config: { bare_lf: 'normalize\n' } })
    const s = await e.open()
    await toData(s)
    s.send(`Subject: x\r\n\r\nbody\n.\r\n${SMUGGLED}.\r\n`)
    expect(await s.reply()).toMatch(/^250 /)
    expect(e.queued).toHaveLength(1)
    // One message, the smuggled commands are its body text.
    expect(e.queued[0]!.raw).toBe(`Subject: x\r\n\r\nbody\r\n.\r\n${SMUGGLED}`)
  })

  it('commands pipelined in the same packet as the final dot: 554 5.5.0, nothing queued', async () => {
    e = await engine()
    const s = await e.open()
    await toData(s)
    s.send(`Subject: x\r\n\r\nbody\r\n.\r\n${SMUGGLED}.\r\n`)
    expect(await s.reply()).toBe('554 5.5.0 Error: SMTP protocol synchronization')
    await s.ended
    expect(e.queued).toHaveLength(0)
  })

  it('a QUIT pipelined after the dot is fine', async () => {
    e = await engine()
    const s = await e.open()
    await toData(s)
    s.send('Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n')
    expect(await s.reply()).toMatch(/^250 /)
    expect(await s.reply()).toMatch(/^221 /)
    expect(e.queued).toHaveLength(1)
  })

  it('DATA followed by message bytes before the 354: 554 5.5.0 and close', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    await s.command('RCPT TO:<b@example.com>')
    s.send('DATA\r\nSubject: eager\r\n\r\nx\r\n.\r\n')
    expect(await s.reply()).toBe('554 5.5.0 Error: SMTP protocol synchronization')
    await s.ended
    expect(e.queued).toHaveLength(0)
  })

  it('message bytes split at every position still frame the same way', async () => {
    e = await engine()
    const s = await e.open()
    await toData(s)
    const msg = 'Subject: split\r\n\r\n..a\r\n.b\r\nc\r\n.\r\n'
    for (const ch of msg) s.send(ch)
    expect(await s.reply()).toMatch(/^250 /)
    expect(e.queued[0]!.raw).toBe('Subject: split\r\n\r\n.a\r\nb\r\nc\r\n')
  })
})

describe('PIPELINING sync points (RFC 2920 §3.1)', () => {
  it.each([
    ['NOOP', 'NOOP\r\nMAIL FROM:<a@example.org>\r\n'],
    ['VRFY', 'VRFY bob\r\nRSET\r\n'],
    ['EXPN', 'EXPN staff\r\nNOOP\r\n'],
    ['EHLO', 'EHLO c\r\nMAIL FROM:<a@example.org>\r\n'],
  ])('a command pipelined after %s: 554 5.5.0 and close', async (_verb, wire) => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('HELO c')
    s.send(wire)
    expect(await s.reply()).toBe('554 5.5.0 Error: SMTP protocol synchronization')
    await s.ended
    expect(s.pending()).toEqual([])
  })

  it('a group that ends with NOOP or VRFY is fine', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    s.send('MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nNOOP\r\n')
    expect(await s.reply()).toMatch(/^250 2\.1\.0 /)
    expect(await s.reply()).toMatch(/^250 2\.1\.5 /)
    expect(await s.reply()).toBe('250 2.0.0 OK')
    s.send('RSET\r\nVRFY bob\r\n')
    expect(await s.reply()).toBe('250 2.0.0 OK')
    expect(await s.reply()).toMatch(/^252 2\.5\.2 /)
  })
})

describe('CHUNKING (BDAT, RFC 3030)', () => {
  it('receives chunks and queues at LAST, pipelined', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    await s.command('RCPT TO:<b@example.com>')
    const part1 = 'Subject: bdat\r\n\r\nfirst '
    const part2 = 'second\r\n.not stuffed\r\n'
    s.send(`BDAT ${part1.length}\r\n${part1}BDAT ${part2.length} LAST\r\n${part2}`)
    expect(await s.reply()).toBe(`250 2.0.0 ${part1.length} octets received`)
    expect(await s.reply()).toBe('250 2.0.0 Queued for test')
    expect(e.queued[0]!.raw).toBe(part1 + part2)
  })

  it('BDAT without MAIL: the chunk is read as data, not commands, then 503', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    s.send('BDAT 12 LAST\r\nNOOP\r\nNOOP\r\n')
    expect(await s.reply()).toBe('503 5.5.1 MAIL first')
    expect(await s.command('NOOP')).toBe('250 2.0.0 OK')
    expect(s.pending()).toEqual([])
  })

  it('malformed BDAT hangs up (framing lost); DATA after BDAT is refused; null BDAT is refused', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    await s.command('RCPT TO:<b@example.com>')
    expect(await s.command('BDAT 0')).toBe('551 5.7.1 Null BDAT request')
    s.send('BDAT 3\r\nabc')
    expect(await s.reply()).toBe('250 2.0.0 3 octets received')
    expect(await s.command('DATA')).toBe('503 5.5.1 DATA cannot follow BDAT')
    expect(await s.command('RCPT TO:<c@example.com>')).toBe('503 5.5.1 RCPT after BDAT')
    expect(await s.command('BDAT abc')).toBe('501 5.5.4 Syntax: BDAT <size> [LAST]')
    await s.ended
  })

  it('BDAT over databytes is read and refused with 552 5.3.4', async () => {
    e = await engine({ config: { databytes: '1000\n' } })
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    await s.command('RCPT TO:<b@example.com>')
    s.send(`BDAT 2000 LAST\r\n${'x'.repeat(2000)}`)
    expect(await s.reply()).toBe('552 5.3.4 Message too big')
    expect(await s.command('NOOP')).toBe('250 2.0.0 OK')
  })
})
