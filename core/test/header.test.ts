import { describe, expect, it } from 'vitest'
import { Header } from '../src/index.js'

const block = [
  'Received: from a.example (a.example [192.0.2.1])',
  '\tby b.example; Fri, 27 Nov 2026 05:00:00 +0000',
  'From: Alice <alice@example.com>',
  'Subject: hello',
  '__proto__: polluted?',
  'constructor: also fine',
  'subject: second',
  '',
].join('\r\n')

describe('Header', () => {
  it('parses, unfolds and looks up case-insensitively', () => {
    const h = Header.parse(block)
    expect(h.get('received')).toBe(
      'from a.example (a.example [192.0.2.1])\tby b.example; Fri, 27 Nov 2026 05:00:00 +0000',
    )
    expect(h.getAll('Subject')).toEqual(['hello', 'second'])
    expect(h.count('SUBJECT')).toBe(2)
    expect(h.get('__proto__')).toBe('polluted?')
    expect(h.get('constructor')).toBe('also fine')
    expect(h.get('toString')).toBeUndefined()
  })

  it('writes an unchanged header back byte for byte', () => {
    expect(Header.parse(block).toString()).toBe(`${block}\r\n`)
  })

  it('keeps malformed lines where they were, byte for byte', () => {
    const messy = [
      'From alice@example.com Fri Nov 27 05:00:00 2026',
      'Received: from a.example',
      '\tby b.example',
      'this line has no colon',
      'Subject: hello',
      'Bad Name: spaces are not allowed in names',
      ' a stray continuation',
      'To: bob@example.com',
      ': empty name',
      '',
    ].join('\r\n')
    const h = Header.parse(messy)
    expect(h.toString()).toBe(`${messy}\r\n`)
    expect(h.fields.map((f) => f.name)).toEqual(['Received', 'Subject', 'To'])
    expect(h.malformed).toEqual([
      'From alice@example.com Fri Nov 27 05:00:00 2026',
      'this line has no colon',
      'Bad Name: spaces are not allowed in names',
      ' a stray continuation',
      ': empty name',
    ])
  })

  it('edits fields around malformed lines without moving them', () => {
    const h = Header.parse('A: 1\r\njunk one\r\nB: 2\r\njunk two\r\nC: 3\r\n\r\n')
    h.add('X-Top', 'new')
    h.add('X-End', 'last', 'append')
    expect(h.delete('b')).toBe(1)
    expect(h.rename('C', 'X-C')).toBe(1)
    expect(h.toString()).toBe('X-Top: new\r\nA: 1\r\njunk one\r\njunk two\r\nX-C: 3\r\nX-End: last\r\n\r\n')
    expect(h.fields.map((f) => f.name)).toEqual(['X-Top', 'A', 'X-C', 'X-End'])
  })

  it('adds, deletes and renames', () => {
    const h = Header.parse(block)
    h.add('X-Test', 'one')
    h.add('X-Last', 'end', 'append')
    expect(h.fields[0]).toEqual({ name: 'X-Test', raw: ' one' })
    expect(h.fields.at(-1)?.name).toBe('X-Last')
    expect(h.delete('subject', 1)).toBe(1)
    expect(h.getAll('subject')).toEqual(['hello'])
    expect(h.rename('Received', 'X-Old-Received')).toBe(1)
    expect(h.has('received')).toBe(false)
  })

  it('refuses header injection through add', () => {
    const h = new Header()
    expect(() => h.add('X', 'a\r\nBcc: victim@example.com')).toThrow(TypeError)
    expect(() => h.add('Bad Name', 'x')).toThrow(TypeError)
    for (const bad of ['a\r\n\r\n b', 'a\rb', 'a\nb', 'a\r\r\n b', 'a\r\n', 'a\n b'])
      expect(() => h.add('X', bad), JSON.stringify(bad)).toThrow(TypeError)
    h.add('X', 'folded\r\n continued\r\n\tand again')
    h.add('X', 'folded\r\n continued')
    expect(h.get('x')).toBe('folded continued')
  })
})
