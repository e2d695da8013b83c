import { describe, expect, it } from 'vitest'
import { LineCanonicalizer } from '../src/framing.js'

/** Runs input through the canonicaliser split at every possible point (chunk boundaries must not matter). */
function frame(
  input: string,
  options?: ConstructorParameters<typeof LineCanonicalizer>[0],
  terminator = true,
): string[] {
  const bytes = Buffer.from(input, 'latin1')
  const results = new Set<string>()
  for (let cut = 0; cut <= bytes.length; cut++) {
    const c = new LineCanonicalizer(options)
    const out = Buffer.concat([
      c.push(bytes.subarray(0, cut)),
      c.push(bytes.subarray(cut)),
      c.end(terminator),
    ])
    results.add(out.toString('latin1'))
  }
  // One byte at a time, too.
  const c = new LineCanonicalizer(options)
  const parts = [...bytes].map((b) => c.push(Buffer.from([b])))
  results.add(Buffer.concat([...parts, c.end(terminator)]).toString('latin1'))
  return [...results]
}

describe('outbound framing (security reference A1)', () => {
  it('passes canonical text through and adds the terminator', () => {
    expect(frame('Subject: x\r\n\r\nbody\r\n')).toEqual(['Subject: x\r\n\r\nbody\r\n.\r\n'])
  })

  it('dot-stuffs lines that start with a dot, including the first line', () => {
    expect(frame('.a\r\n..b\r\nc.\r\n.\r\n')).toEqual(['..a\r\n...b\r\nc.\r\n..\r\n.\r\n'])
  })

  it('turns every bare LF and bare CR into CRLF before dot-stuffing', () => {
    // Each smuggling sequence from the reference table must come out as a stuffed dot line.
    const table: Record<string, string> = {
      lflf: 'a\n.\nMAIL FROM:<x@y>\r\n',
      crcr: 'a\r.\rMAIL FROM:<x@y>\r\n',
      crlf: 'a\r.\nMAIL FROM:<x@y>\r\n',
      lfcr: 'a\n.\rMAIL FROM:<x@y>\r\n',
      lfcrlf: 'a\n.\r\nMAIL FROM:<x@y>\r\n',
      crlflf: 'a\r\n.\nMAIL FROM:<x@y>\r\n',
      crcrlf: 'a\r.\r\nMAIL FROM:<x@y>\r\n',
      crlfcr: 'a\r\n.\rMAIL FROM:<x@y>\r\n',
    }
    for (const [name, input] of Object.entries(table)) {
      const outs = frame(input)
      expect(outs, name).toEqual(['a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n'])
    }
  })

  it('never lets CRLF.CRLF appear before the end', () => {
    const out = frame('x\r\n.\r\ny\n.\ny\r.\r')[0]!
    expect(out.indexOf('\r\n.\r\n')).toBe(out.length - 5)
  })

  it('keeps a CR run as separate line ends (no collapsing)', () => {
    expect(frame('a\r\r\nb')).toEqual(['a\r\n\r\nb\r\n.\r\n'])
  })

  it('ends an unterminated last line, and sends only the dot for an empty message', () => {
    expect(frame('no newline')).toEqual(['no newline\r\n.\r\n'])
    expect(frame('')).toEqual(['.\r\n'])
    expect(frame('ends in cr\r')).toEqual(['ends in cr\r\n.\r\n'])
  })

  it('keeps NUL and 8-bit bytes', () => {
    expect(frame('\0.x\r\n\xe9t\xe9\r\n')).toEqual(['\0.x\r\n\xe9t\xe9\r\n.\r\n'])
  })

  it('writes LF text without stuffing for Unix programs', () => {
    expect(frame('a\r\n.b\r\nc\rd\ne', { eol: '\n', dotStuff: false }, false)).toEqual(['a\n.b\nc\nd\ne\n'])
  })
})
