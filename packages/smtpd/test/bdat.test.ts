/**
 * CHUNKING (RFC 3030) framing: BDAT content gets DATA's line-end policy, the header block ends at
 * LAST when no blank line did, and chunks past the size limit are read and refused.
 */
import { DENY, definePlugin } from '@postern/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { MemorySession } from '../src/memory-session.js'
import { engine, type TestEngine } from './helpers.js'

let e: TestEngine | undefined
afterEach(async () => {
  await e?.close()
  e = undefined
})

async function toBdat(s: MemorySession): Promise<void> {
  await s.greeting
  await s.command('EHLO c')
  await s.command('MAIL FROM:<a@example.org>')
  await s.command('RCPT TO:<b@example.com>')
}

/** `BDAT n [LAST]` commands for the chunks, the last one with LAST, as one pipelined write. */
function bdat(...chunks: string[]): string {
  return chunks
    .map((c, i) => `BDAT ${Buffer.byteLength(c)}${i === chunks.length - 1 ? ' LAST' : ''}\r\n${c}`)
    .join('')
}

const BARE = '550 5.5.2 Message contains bare CR or LF; lines must end with CRLF'

describe('BDAT line ends (bare_lf)', () => {
  it.each([
    ['a bare LF', ['Subject: x\r\n\r\nbody\nmore\r\n']],
    ['a bare CR', ['Subject: x\r\n\r\nbody\rmore\r\n']],
    ['a CR ending one chunk, not followed by LF in the next', ['Subject: x\r\n\r\nbody\r', 'more\r\n']],
    ['an LF starting a chunk after a chunk without CR', ['Subject: x\r\n\r\nbody', '\nmore\r\n']],
    ['a CR ending the last chunk', ['Subject: x\r\n\r\nbody\r']],
  ])('%s is refused with 550 5.5.2 after LAST', async (_name, chunks) => {
    e = await engine()
    const s = await e.open()
    await toBdat(s)
    s.send(bdat(...chunks))
    for (let i = 1; i < chunks.length; i++)
      expect(await s.reply()).toMatch(/^250 2\.0\.0 \d+ octets received$/)
    expect(await s.reply()).toBe(BARE)
    expect(e.queued).toHaveLength(0)
    // The transaction is over; the session goes on.
    expect(await s.command('MAIL FROM:<a@example.org>')).toMatch(/^250 /)
  })

  it('a CRLF split across chunks is a line end, not a bare CR and a bare LF', async () => {
    e = await engine()
    const s = await e.open()
    await toBdat(s)
    s.send(bdat('Subject: x\r', '\n\r\nbody\r', '\n'))
    expect(await s.reply()).toBe('250 2.0.0 11 octets received')
    expect(await s.reply()).toBe('250 2.0.0 8 octets received')
    expect(await s.reply()).toBe('250 2.0.0 Queued for test')
    expect(e.queued[0]!.raw).toBe('Subject: x\r\n\r\nbody\r\n')
  })

  it('bare_lf normalize completes each bare CR or LF to CRLF', async () => {
    e = await engine({ config: { bare_lf: 'normalize\n' } })
    const s = await e.open()
    await toBdat(s)
    s.send(bdat('Subject: x\n\nline1\rline2\r', 'line3\n', 'end\r'))
    expect(await s.reply()).toMatch(/^250 2\.0\.0 /)
    expect(await s.reply()).toMatch(/^250 2\.0\.0 /)
    expect(await s.reply()).toBe('250 2.0.0 Queued for test')
    const m = e.queued[0]!
    expect(m.raw).toBe('Subject: x\r\n\r\nline1\r\nline2\r\nline3\r\nend\r\n')
    expect(m.header!.get('Subject')).toBe('x')
  })
})

describe('BDAT header block', () => {
  it('a message with no blank line: the header ends at LAST, data_headers_end runs, trace headers are added', async () => {
    const seen: (string | undefined)[] = []
    e = await engine({
      plugins: [
        definePlugin({
          name: 'header_watch',
          core: '^1.0.0',
          hooks: { data_headers_end: (ctx) => void seen.push(ctx.transaction.header?.get('Subject')) },
        }),
      ],
    })
    const s = await e.open()
    await toBdat(s)
    s.send(bdat('Subject: only a header\r\n'))
    expect(await s.reply()).toBe('250 2.0.0 Queued for test')
    expect(seen).toEqual(['only a header'])
    const m = e.queued[0]!
    expect(m.header!.get('Subject')).toBe('only a header')
    expect(m.message).toMatch(
      /^Received: from c \(\[192\.0\.2\.1\]\)\r\n\tby mx\.test\.example \(Postern\) with ESMTP/,
    )
    expect(m.message).toContain('Authentication-Results: mx.test.example; none\r\n')
    // What is delivered is a header block and an empty body: the blank line between them is added.
    expect(m.raw).toBe('Subject: only a header\r\n')
    expect(
      m.message.endsWith('Authentication-Results: mx.test.example; none\r\nSubject: only a header\r\n\r\n'),
    ).toBe(true)
  })

  it('data_headers_end DENY at LAST refuses the message', async () => {
    e = await engine({
      plugins: [
        definePlugin({ name: 'no', core: '^1.0.0', hooks: { data_headers_end: () => ({ code: DENY }) } }),
      ],
    })
    const s = await e.open()
    await toBdat(s)
    s.send(bdat('Subject: x\r\n'))
    expect(await s.reply()).toBe('554 5.7.1 Message denied')
    expect(e.queued).toHaveLength(0)
  })
})

describe('BDAT over the size limit', () => {
  it('the chunk that crosses databytes and every chunk after it get 552 5.3.4; all are read', async () => {
    e = await engine({ config: { databytes: '1000\n' } })
    const s = await e.open()
    await toBdat(s)
    const a = `Subject: big\r\n\r\n${'a'.repeat(584)}`
    // Pipelined as a client would before seeing any reply; the chunk bytes hold command-like text
    // that must be read as data, never as commands.
    s.send(bdat(a, 'b'.repeat(600), 'RSET\r\nNOOP\r\n', 'QUIT\r\n'))
    expect(await s.reply()).toBe('250 2.0.0 600 octets received')
    expect(await s.reply()).toBe('552 5.3.4 Message too big')
    expect(await s.reply()).toBe('552 5.3.4 Message too big')
    expect(await s.reply()).toBe('552 5.3.4 Message too big')
    expect(s.pending()).toEqual([])
    expect(e.queued).toHaveLength(0)
    // The transaction ended at the first refusal: a new one starts at once.
    expect(await s.command('MAIL FROM:<a@example.org>')).toMatch(/^250 /)
    await s.command('RCPT TO:<b@example.com>')
    s.send(bdat('Subject: small\r\n\r\nok\r\n'))
    expect(await s.reply()).toBe('250 2.0.0 Queued for test')
  })

  it('a header block over max_header_bytes is refused at the chunk that crosses it', async () => {
    e = await engine({ config: { max_header_bytes: '1024\n' } })
    const s = await e.open()
    await toBdat(s)
    s.send(bdat(`X-Long: ${'h'.repeat(2000)}\r\n`, '\r\nbody\r\n'))
    expect(await s.reply()).toBe('552 5.3.4 Message header too big')
    expect(await s.reply()).toBe('552 5.3.4 Message header too big')
    expect(await s.command('NOOP')).toBe('250 2.0.0 OK')
  })
})
