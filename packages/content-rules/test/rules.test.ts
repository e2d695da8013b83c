import { ConfigError, type ConfigLine, DECLINED, DENY, DENYSOFT, DONE, OK } from '@postern/core'
import { describe, expect, it } from 'vitest'
import { decide, firstMatch, parseRules } from '../src/index.js'

const lines = (...values: string[]): ConfigLine[] =>
  values.map((value, i) => ({ value, file: '/etc/postern/content_types', line: i + 3 }))

describe('parseRules', () => {
  const rules = parseRules(
    lines(
      'text/plain OK',
      'image/* OK',
      '/^application\\/x-ms(download|dos-program)$/ DENY No Windows executables here',
      'application/zip DENYSOFT',
      '* DECLINED',
    ),
  )

  it('reads pattern, code, message, file and line', () => {
    expect(rules[2]).toMatchObject({
      code: DENY,
      message: 'No Windows executables here',
      file: '/etc/postern/content_types',
      line: 5,
    })
    expect(rules[3]!.message).toBeUndefined()
  })

  it('matches literals and wildcards case-insensitively, regexes as written (case-insensitive)', () => {
    expect(firstMatch(rules, 'TEXT/Plain')?.code).toBe(OK)
    expect(firstMatch(rules, 'image/png')?.code).toBe(OK)
    expect(firstMatch(rules, 'application/x-msdownload')?.code).toBe(DENY)
    expect(firstMatch(rules, 'Application/X-MSDOS-Program')?.code).toBe(DENY)
    expect(firstMatch(rules, 'application/zip')?.code).toBe(DENYSOFT)
    expect(firstMatch(rules, 'video/mp4')?.code).toBe(DECLINED)
    expect(firstMatch(rules.slice(0, 2), 'video/mp4')).toBeUndefined()
  })

  it('reports a bad line with its file and line', () => {
    const bad = (value: string) => () => parseRules(lines('text/plain OK', value))
    expect(bad('text/html')).toThrow(ConfigError)
    expect(bad('text/html')).toThrow(/^\/etc\/postern\/content_types:4: expected "pattern CODE \[message\]"/)
    expect(bad('text/html MAYBE')).toThrow(/content_types:4: unknown return code MAYBE/)
    expect(bad('text/html DONE')).toThrow(/content_types:4: return code DONE is not allowed here/)
    expect(bad('/(unclosed/ DENY')).toThrow(/content_types:4: pattern .*not a valid regular expression/)
    expect(bad('/abc DENY')).toThrow(/content_types:4: pattern \/abc has no closing \//)
  })

  it('refuses a pattern that can backtrack catastrophically, at load', () => {
    expect(() => parseRules(lines('/^(a+)+$/ DENY'))).toThrow(/content_types:3: pattern .*backtracking/)
  })

  it('honours the allowed codes', () => {
    expect(() => parseRules(lines('x OK'), { codes: [DENY] })).toThrow(/OK is not allowed/)
  })

  it('cuts long values before a regex sees them', () => {
    const [rule] = parseRules(lines('/x$/ DENY'))
    expect(rule!.test(`${'a'.repeat(300)}x`)).toBe(false)
    expect(rule!.test(`${'a'.repeat(200)}x`)).toBe(true)
  })

  it('is safe with hostile words', () => {
    const r = parseRules(lines('__proto__ DENY', 'constructor OK'))
    expect(firstMatch(r, '__proto__')?.code).toBe(DENY)
    expect(firstMatch(r, 'toString')).toBeUndefined()
  })
})

describe('decide', () => {
  const [ok, deny, soft] = parseRules(lines('a OK', 'b DENY x', 'c DENYSOFT'))
  it('refuses with the first refused item, in order', () => {
    expect(
      decide([
        { item: 1, rule: ok },
        { item: 2, rule: soft },
        { item: 3, rule: deny },
      ]),
    ).toMatchObject({
      kind: 'refuse',
      code: DENYSOFT,
      item: 2,
    })
  })
  it('is OK only when every item matched OK', () => {
    expect(
      decide([
        { item: 1, rule: ok },
        { item: 2, rule: ok },
      ]),
    ).toEqual({ kind: 'ok' })
    expect(
      decide([
        { item: 1, rule: ok },
        { item: 2, rule: undefined },
      ]),
    ).toEqual({ kind: 'declined' })
    expect(decide([])).toEqual({ kind: 'declined' })
    expect(DONE).toBe(910)
  })
})
