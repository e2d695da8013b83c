import { ConfigError, type ConfigLine } from '@postern/core'
import { testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import {
  AddressList,
  buildCdb,
  cdbGet,
  compilePattern,
  HostList,
  IpList,
  ipLookupKeys,
  isPatternEntry,
  normalizeIp,
  perlToJs,
  splitExtension,
} from '../src/index.js'

const lines = (...values: string[]): ConfigLine[] =>
  values.map((value, i) => ({ value, file: '/etc/postern/list', line: i + 1 }))

describe('patterns', () => {
  it('compiles bare and slashed Perl patterns, case-insensitively', () => {
    expect(compilePattern('^admin.*\\.example\\.com$').regex.test('ADMIN1@mx.example.com')).toBe(true)
    expect(compilePattern('/^user\\d+\\@doma\\.in$/').regex.test('user42@doma.in')).toBe(true)
    expect(compilePattern('/^user\\d+\\@doma\\.in$/').regex.test('user@doma.in')).toBe(false)
  })

  it('translates \\A, \\z, \\Q…\\E and POSIX classes', () => {
    expect(perlToJs('\\Afoo\\z')).toBe('^foo$')
    expect(perlToJs('\\Qa.b+c\\E$')).toBe('a\\.b\\+c$')
    expect(perlToJs('^[[:alpha:]]+$')).toBe('^[a-zA-Z]+$')
    expect(compilePattern('\\Qa.b\\E').regex.test('a.b')).toBe(true)
    expect(compilePattern('\\Qa.b\\E').regex.test('axb')).toBe(false)
  })

  it('reports an invalid regex with file and line', () => {
    let err: unknown
    try {
      compilePattern('^(unclosed', { file: '/etc/postern/badmailfrom', line: 7 })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(
      /^\/etc\/postern\/badmailfrom:7: pattern \^\(unclosed: not a valid regular expression/,
    )
  })

  it('refuses patterns that backtrack exponentially, or worse than quadratically', () => {
    expect(() => compilePattern('^(a+)+$', { file: 'f', line: 2 })).toThrow(
      /^f:2: pattern .*exponential backtracking/,
    )
    expect(() => compilePattern('(\\w|\\d)+@', { file: 'f', line: 3 })).toThrow(/exponential/)
    expect(() => compilePattern('.*.*.*x', { file: 'f', line: 4 })).toThrow(/4th-degree polynomial/)
  })

  it('accepts quadratic patterns such as the ones qpsmtpd documents', () => {
    expect(compilePattern('^return.*@.*\\.pidplate\\.biz$').regex.test('return-x@a.pidplate.biz')).toBe(true)
    expect(compilePattern('^([a-z0-9]+\\.)*example\\.com$').regex.test('a.b.example.com')).toBe(true)
  })

  it('refuses unknown flags', () => {
    expect(() => compilePattern('/x/g', { file: 'f', line: 1 })).toThrow(/unsupported flag "g"/)
  })

  it('classifies entries as qpsmtpd did, except "+" inside an address', () => {
    expect(isPatternEntry('%')).toBe(true)
    expect(isPatternEntry('!')).toBe(true)
    expect(isPatternEntry('^x@y$')).toBe(true)
    expect(isPatternEntry('user+tag@example.com')).toBe(false)
    expect(isPatternEntry('user@example.com')).toBe(false)
    expect(isPatternEntry('a+')).toBe(true)
  })
})

describe('AddressList', () => {
  it('matches addresses, @host, bare users and patterns; the first line wins', () => {
    const list = AddressList.parse(
      lines(
        '@spam.example  host reason',
        'bad@spam.example  address reason',
        '/^x.*@/  pattern reason',
        'postmaster',
      ),
      { bare: 'user' },
    )
    expect(list.match(testAddress('bad@spam.example'))?.reason).toBe('host reason')
    expect(list.match(testAddress('Bad@SPAM.example'))?.line).toBe(1)
    expect(list.match(testAddress('xavier@ok.example'))?.reason).toBe('pattern reason')
    expect(list.match(testAddress('postmaster@anywhere.example'))?.kind).toBe('user')
    expect(list.match(testAddress('alice@ok.example'))).toBeUndefined()
    expect(list.match(testAddress('<>'))).toBeUndefined()
  })

  it('skips bare words where an @ is needed, with a warning naming file and line', () => {
    const warnings: string[] = []
    const list = AddressList.parse(lines('nobody', 'a@b.example'), { warn: (w) => warnings.push(w) })
    expect(list.size).toBe(1)
    expect(warnings[0]).toBe('/etc/postern/list:1: no @ sign in "nobody", line skipped')
  })

  it('throws at parse time for a bad pattern line, with file and line', () => {
    expect(() => AddressList.parse(lines('ok@example.com', '[unclosed@example.com'))).toThrow(
      /^\/etc\/postern\/list:2: pattern \[unclosed@example.com: not a valid regular expression/,
    )
  })

  it('treats __proto__ and constructor as ordinary entries and subjects', () => {
    const list = AddressList.parse(lines('__proto__@example.com', '@constructor'), { bare: 'user' })
    expect(list.match(testAddress('__proto__@example.com'))?.line).toBe(1)
    expect(list.match(testAddress('x@constructor'))?.line).toBe(2)
    expect(list.match(testAddress('toString@example.com'))).toBeUndefined()
    expect(AddressList.EMPTY.match(testAddress('__proto__@example.com'))).toBeUndefined()
  })

  it('reads bare words as hosts when asked (whitelistsenders)', () => {
    const list = AddressList.parse(lines('example.com'), { bare: 'host', patterns: false })
    expect(list.match(testAddress('anyone@example.com'))?.kind).toBe('host')
  })
})

describe('HostList', () => {
  it('matches exact hosts and .suffix entries (subdomains only, as qmail)', () => {
    const hosts = HostList.parse(lines('example.com', '.example.net', '__proto__'))
    expect(hosts.has('EXAMPLE.com')).toBe(true)
    expect(hosts.has('mail.example.com')).toBe(false)
    expect(hosts.has('a.b.example.net')).toBe(true)
    expect(hosts.has('example.net')).toBe(false)
    expect(hosts.has('__proto__')).toBe(true)
    expect(hosts.has('constructor')).toBe(false)
  })
})

describe('IpList', () => {
  const list = IpList.parse(
    lines(
      '192.0.2.7',
      '198.51.100.',
      '10.1.0.0/16',
      'fdda:b13d:e431:ae06:',
      '2001:db8::/32',
      '::1  # loopback',
    ),
  )

  it('matches exact addresses, dotted prefixes, CIDR and IPv6', () => {
    expect(list.match('192.0.2.7')?.line).toBe(1)
    expect(list.match('192.0.2.8')).toBeUndefined()
    expect(list.match('198.51.100.200')?.kind).toBe('prefix')
    expect(list.match('198.51.10.1')).toBeUndefined()
    expect(list.match('10.1.255.255')?.kind).toBe('cidr')
    expect(list.match('10.2.0.1')).toBeUndefined()
    expect(list.match('fdda:b13d:e431:ae06::25')?.line).toBe(4)
    expect(list.match('fdda:b13d:e431:ae07::25')).toBeUndefined()
    expect(list.match('2001:0db8:0000:0000:0000:0000:0000:0001')?.line).toBe(5)
    expect(list.match('0:0:0:0:0:0:0:1')?.line).toBe(6)
  })

  it('matches IPv4-mapped client addresses against IPv4 entries', () => {
    expect(normalizeIp('::ffff:192.0.2.7')).toBe('192.0.2.7')
    expect(list.match('::FFFF:192.0.2.7')?.line).toBe(1)
  })

  it('reports a line that is not an IP entry with file and line', () => {
    expect(() => IpList.parse(lines('192.0.2.1', 'relay.example.com'))).toThrow(
      '/etc/postern/list:2: "relay.example.com" is not an IP address, a prefix ending in "." or ":", or a CIDR block',
    )
    expect(() => IpList.parse(lines('10.0.0.0/33'))).toThrow(ConfigError)
    expect(() => IpList.parse(lines('300.1.'))).toThrow(ConfigError)
    expect(() => IpList.parse(lines('10.0.0.0/8'), { cidr: false })).toThrow(/not an IP address or a prefix/)
  })

  it('reads IPv4 fragments as whole-octet prefixes when asked', () => {
    const wl = IpList.parse(lines('10.1'), { fragments: true })
    expect(wl.has('10.1.2.3')).toBe(true)
    expect(wl.has('10.10.2.3')).toBe(false)
    expect(() => IpList.parse(lines('10.1'))).toThrow(ConfigError)
  })

  it('gives the map keys qpsmtpd looked up', () => {
    expect(ipLookupKeys('192.0.2.7')).toEqual(['192.0.2.7', '192.0.2.', '192.0.', '192.'])
    expect(ipLookupKeys('::ffff:192.0.2.7')[0]).toBe('192.0.2.7')
  })
})

describe('cdb', () => {
  it('round-trips keys and values, including many keys and absent ones', () => {
    const entries: [string, string][] = Array.from({ length: 500 }, (_, i) => [`host${i}.example`, `v${i}`])
    const image = buildCdb([...entries, ['__proto__', '']])
    expect(cdbGet(image, 'host0.example')?.toString()).toBe('v0')
    expect(cdbGet(image, 'host499.example')?.toString()).toBe('v499')
    expect(cdbGet(image, '__proto__')?.toString()).toBe('')
    expect(cdbGet(image, 'host500.example')).toBeUndefined()
    expect(cdbGet(Buffer.alloc(10), 'x')).toBeUndefined()
  })
})

describe('splitExtension', () => {
  it('splits at the first separator after the first character', () => {
    expect(splitExtension('alice+lists+x', '+')).toEqual({ base: 'alice', extension: '+lists+x' })
    expect(splitExtension('alice-lists', '+-')).toEqual({ base: 'alice', extension: '-lists' })
    expect(splitExtension('+alice', '+')).toBeUndefined()
    expect(splitExtension('alice', '')).toBeUndefined()
  })
})
