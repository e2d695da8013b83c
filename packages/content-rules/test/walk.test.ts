import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { globMatch, MimeLimitError, type MimePart, walkParts } from '../src/index.js'

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n')

async function parts(text: string | Buffer[], options = {}): Promise<MimePart[]> {
  const out: MimePart[] = []
  const source = typeof text === 'string' ? Readable.from([Buffer.from(crlf(text))]) : Readable.from(text)
  await walkParts(source, (p) => out.push(p), options)
  return out
}

const MIXED = `From: a@example.com
Subject: hi
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

preamble
--b1
Content-Type: multipart/alternative; boundary=b2

--b2
Content-Type: text/plain; charset=ISO-8859-1

Hello
--b2
Content-Type: text/html; charset="utf-8"

<p>Hello</p>
--b2--
--b1
Content-Type: application/octet-stream; name="x.exe"
Content-Disposition: attachment; filename="x.exe"
Content-Transfer-Encoding: base64

TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
--b1
Content-Type: message/rfc822

Subject: inner
Content-Type: text/plain; charset=koi8-r

inner body
--b1--
epilogue
`

describe('walkParts', () => {
  it('visits every part in message order with type, charset, depth and filename', async () => {
    const seen = await parts(MIXED)
    expect(seen.map((p) => [p.contentType, p.charset, p.depth, p.multipart])).toEqual([
      ['multipart/mixed', undefined, 0, true],
      ['multipart/alternative', undefined, 1, true],
      ['text/plain', 'iso-8859-1', 2, false],
      ['text/html', 'utf-8', 2, false],
      ['application/octet-stream', undefined, 1, false],
      ['message/rfc822', undefined, 1, false],
      ['text/plain', 'koi8-r', 2, false],
    ])
    expect(seen[4]!.filename).toBe('x.exe')
    expect(seen[4]!.encoding).toBe('base64')
    expect(seen[0]!.headerValues('Subject')).toEqual(['hi'])
  })

  it('defaults a part without Content-Type to text/plain, or message/rfc822 in a digest', async () => {
    expect((await parts('Subject: x\n\nbody\n')).map((p) => [p.contentType, p.defaulted])).toEqual([
      ['text/plain', true],
    ])
    const digest = `Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: m\n\nx\n--d--\n`
    expect((await parts(digest)).map((p) => p.contentType)).toContain('message/rfc822')
  })

  it('treats a garbled Content-Type as missing', async () => {
    const [p] = await parts('Content-Type: nonsense\n\nx\n')
    expect(p).toMatchObject({ contentType: 'text/plain', defaulted: true })
  })

  it('reads a message split at awkward places', async () => {
    const bytes = Buffer.from(crlf(MIXED))
    const chunks: Buffer[] = []
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7))
    expect((await parts(chunks)).map((p) => p.contentType)).toEqual(
      (await parts(MIXED)).map((p) => p.contentType),
    )
  })

  it('streams a large body without keeping it', async () => {
    const head = Buffer.from(
      crlf('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/pdf\n\n'),
    )
    const line = Buffer.from(`${'A'.repeat(76)}\r\n`)
    async function* gen() {
      yield head
      for (let i = 0; i < 20_000; i++) yield line // 1.5 MB
      yield Buffer.from('--b--\r\n')
    }
    const seen: string[] = []
    await walkParts(Readable.from(gen()), (p) => seen.push(p.contentType))
    expect(seen).toEqual(['multipart/mixed', 'application/pdf'])
  })

  it('streams a large attached message through its own walk', async () => {
    const head = Buffer.from(
      crlf(
        'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\nContent-Type: multipart/mixed; boundary=i\n\n--i\nContent-Type: application/pdf\n\n',
      ),
    )
    const line = Buffer.from(`${'A'.repeat(76)}\r\n`)
    async function* gen() {
      yield head
      for (let i = 0; i < 20_000; i++) yield line // 1.5 MB
      yield Buffer.from('--i\r\nContent-Type: image/png\r\n\r\nx\r\n--i--\r\n--b--\r\n')
    }
    const seen: string[] = []
    await walkParts(Readable.from(gen()), (p) => seen.push(p.contentType))
    expect(seen).toEqual([
      'multipart/mixed',
      'message/rfc822',
      'multipart/mixed',
      'application/pdf',
      'image/png',
    ])
  })

  it('fails with MimeLimitError past maxParts or maxHeaderSize', async () => {
    let many = 'Content-Type: multipart/mixed; boundary=b\n\n'
    for (let i = 0; i < 20; i++) many += '--b\nContent-Type: text/plain\n\nx\n'
    many += '--b--\n'
    await expect(parts(many, { maxParts: 10 })).rejects.toBeInstanceOf(MimeLimitError)
    const fat = `X-Big: ${'x'.repeat(5000)}\n\nbody\n`
    await expect(parts(fat, { maxHeaderSize: 1000 })).rejects.toBeInstanceOf(MimeLimitError)
  })

  it('walks into attached messages whatever their disposition, keeping message order', async () => {
    const attached = `Content-Type: multipart/mixed; boundary=o

--o
Content-Type: text/plain

note
--o
Content-Type: message/rfc822
Content-Disposition: attachment; filename="fwd.eml"

Subject: inner
Content-Type: multipart/mixed; boundary=i

--i
Content-Type: application/x-msdownload; name="a.exe"

MZ
--i--
--o
Content-Type: image/png

x
--o--
`
    expect((await parts(attached)).map((p) => [p.contentType, p.depth])).toEqual([
      ['multipart/mixed', 0],
      ['text/plain', 1],
      ['message/rfc822', 1],
      ['multipart/mixed', 2],
      ['application/x-msdownload', 3],
      ['image/png', 1],
    ])
  })

  it('decodes an attached message sent in base64 or quoted-printable, in small pieces', async () => {
    const inner = crlf('Subject: inner\nContent-Type: text/plain; charset=koi8-r\n\nhi\n')
    const base64 = Buffer.from(inner).toString('base64').replace(/.{10}/g, '$&\n')
    const qp = inner.replace(/=/g, '=3D').replace(/charset/, 'char=\r\nset')
    for (const [encoding, body] of [
      ['base64', base64],
      ['quoted-printable', qp],
    ]) {
      const text = `Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\nContent-Transfer-Encoding: ${encoding}\n\n${body}\n--o--\n`
      const bytes = Buffer.from(crlf(text))
      const chunks: Buffer[] = []
      for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7))
      expect((await parts(chunks)).map((p) => [p.contentType, p.charset])).toEqual([
        ['multipart/mixed', undefined],
        ['message/rfc822', undefined],
        ['text/plain', 'koi8-r'],
      ])
    }
  })

  it('walks into the message parts of a digest and into message/global', async () => {
    const digest = `Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: m\nContent-Type: image/gif\n\nx\n--d\nContent-Type: message/global\n\nSubject: g\nContent-Type: audio/mpeg\n\nx\n--d--\n`
    expect((await parts(digest)).map((p) => p.contentType)).toEqual([
      'multipart/digest',
      'message/rfc822',
      'image/gif',
      'message/global',
      'audio/mpeg',
    ])
  })

  it('fails with MimeLimitError when messages nest deeper than maxNesting', async () => {
    const nest = (levels: number) => {
      let text = 'Content-Type: application/x-msdownload\n\nMZ\n'
      for (let i = 0; i < levels; i++) text = `Subject: level ${i}\nContent-Type: message/rfc822\n\n${text}`
      return text
    }
    const ten = await parts(nest(10))
    expect(ten.at(-1)).toMatchObject({ contentType: 'application/x-msdownload', depth: 10 })
    await expect(parts(nest(11))).rejects.toBeInstanceOf(MimeLimitError)
    await expect(parts(nest(3), { maxNesting: 2 })).rejects.toThrow('nested more than 2 deep')
  })

  it('counts the parts of attached messages against maxParts', async () => {
    let inner = 'Content-Type: multipart/mixed; boundary=i\n\n'
    for (let i = 0; i < 8; i++) inner += '--i\nContent-Type: text/plain\n\nx\n'
    inner += '--i--\n'
    const text = `Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n${inner}--o--\n`
    expect(await parts(text, { maxParts: 11 })).toHaveLength(11)
    await expect(parts(text, { maxParts: 10 })).rejects.toBeInstanceOf(MimeLimitError)
  })

  it('passes on a visitor error raised inside an attached message', async () => {
    const text = crlf('Content-Type: message/rfc822\n\nContent-Type: image/png\n\nx\n')
    await expect(
      walkParts(Readable.from([Buffer.from(text)]), (p) => {
        if (p.contentType === 'image/png') throw new Error('inner visitor')
      }),
    ).rejects.toThrow('inner visitor')
  })

  it('stops when the signal aborts', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(parts(MIXED, { signal: controller.signal })).rejects.toThrow()
  })

  it('passes a visitor error on', async () => {
    await expect(
      walkParts(Readable.from([Buffer.from('Subject: x\r\n\r\nx\r\n')]), () => {
        throw new Error('visitor')
      }),
    ).rejects.toThrow('visitor')
  })
})

describe('globMatch', () => {
  it('matches * wildcards without regexes', () => {
    expect(globMatch('image/*', 'image/png')).toBe(true)
    expect(globMatch('image/*', 'text/png')).toBe(false)
    expect(globMatch('*', '')).toBe(true)
    expect(globMatch('iso-8859-*', 'iso-8859-15')).toBe(true)
    expect(globMatch('*-8859-*', 'iso-8859-1')).toBe(true)
    expect(globMatch('a*b*c', 'abc')).toBe(true)
    expect(globMatch('a*b*c', 'acb')).toBe(false)
    expect(globMatch('ab*ba', 'aba')).toBe(false)
    expect(globMatch('text/plain', 'text/plain')).toBe(true)
  })

  // A backtracking matcher needs ~n^6 steps here and would not finish within the test's timeout;
  // the answers are what is asserted, never a duration.
  it('answers hostile input', () => {
    const value = `${'a'.repeat(100_000)}b`
    expect(globMatch('*a*a*a*a*a*a*c', value)).toBe(false)
    expect(globMatch('*a*a*a*a*a*a*b', value)).toBe(true)
  })
})
