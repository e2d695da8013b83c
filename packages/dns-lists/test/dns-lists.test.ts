import { ConfigError, type ConfigLine, DnsError, type DnsResolver } from '@postern/core'
import { describe, expect, it } from 'vitest'
import {
  isCodeFilter,
  isListAnswer,
  isListing,
  parseCodeFilter,
  parseDnsErrorPolicy,
  parseZoneName,
  queryList,
  replySafe,
} from '../src/index.js'

const at: ConfigLine = { value: '', file: 'config/dnsbl_zones', line: 3 }

/** A resolver with fixed A and TXT answers; a string answer is the DnsError code to throw. */
function resolver(a: Record<string, string[] | string>, txt: Record<string, string[] | string> = {}) {
  let txtQueries = 0
  const answer = (table: Record<string, string[] | string>, name: string, type: 'A' | 'TXT') => {
    const v = table[name] ?? 'ENOTFOUND'
    return typeof v === 'string' ? Promise.reject(new DnsError(v, name, type)) : Promise.resolve(v)
  }
  const dns = {
    resolve4: (name: string) => answer(a, name, 'A'),
    resolveTxt: (name: string) => {
      txtQueries++
      return answer(txt, name, 'TXT')
    },
  } as Partial<DnsResolver> as DnsResolver
  return { dns, txtQueries: () => txtQueries }
}

describe('zone names and return-code filters', () => {
  it('reads addresses, ranges and CIDR blocks', () => {
    const codes = parseCodeFilter('127.0.0.2,127.0.0.10-127.0.0.11,127.0.1.0/24', at)
    for (const yes of ['127.0.0.2', '127.0.0.11', '127.0.1.200']) expect(codes.check(yes, 'ipv4')).toBe(true)
    for (const no of ['127.0.0.3', '127.0.0.12', '127.0.2.1']) expect(codes.check(no, 'ipv4')).toBe(false)
  })

  it('refuses a bad part with file and line', () => {
    for (const bad of ['127.0.0.2,x', '127.0.0/33', '127.0.0.1-127.0.0', '::1']) {
      const err = (() => {
        try {
          parseCodeFilter(bad, at)
        } catch (e) {
          return e
        }
      })()
      expect(err).toBeInstanceOf(ConfigError)
      expect(err).toMatchObject({ file: 'config/dnsbl_zones', line: 3 })
    }
  })

  it('tells a filter from a message word', () => {
    expect([
      isCodeFilter('127.0.0.2'),
      isCodeFilter('You'),
      isCodeFilter(undefined),
      isCodeFilter(''),
    ]).toEqual([true, false, false, false])
  })

  it('normalises zone names and refuses bad ones', () => {
    expect(parseZoneName('ZEN.Example.', at)).toBe('zen.example')
    expect(() => parseZoneName('not a zone!', at)).toThrow('bad DNS zone "not a zone!"')
  })
})

describe('answers', () => {
  it('counts 127/8 answers but list error codes as listings', () => {
    expect(isListAnswer('127.0.0.2')).toBe(true)
    expect(isListAnswer('127.255.255.254')).toBe(false)
    expect(isListAnswer('127.0.0.255')).toBe(false)
    expect(isListAnswer('192.0.2.1')).toBe(false)
    const codes = parseCodeFilter('127.0.0.3', at)
    expect([
      isListing('127.0.0.2', codes),
      isListing('127.0.0.3', codes),
      isListing('127.0.0.2', undefined),
    ]).toEqual([false, true, true])
  })

  it('asks A first and TXT only for a listing', async () => {
    const { dns, txtQueries } = resolver(
      {
        'listed.example': ['127.0.0.2', '127.255.255.254'],
        'odd.example': ['127.255.255.254', '192.0.2.1'],
        'filtered.example': ['127.0.0.4'],
        'broken.example': 'ESERVFAIL',
      },
      { 'listed.example': ['Listed,', 'see https://list.example/'] },
    )
    expect(await queryList(dns, 'listed.example', undefined, true)).toEqual({
      status: 'listed',
      codes: ['127.0.0.2'],
      text: 'Listed, see https://list.example/',
    })
    expect(txtQueries()).toBe(1)
    expect(await queryList(dns, 'listed.example', undefined, false)).toEqual({
      status: 'listed',
      codes: ['127.0.0.2'],
      text: undefined,
    })
    expect(await queryList(dns, 'odd.example', undefined, true)).toEqual({
      status: 'odd',
      codes: ['127.255.255.254', '192.0.2.1'],
    })
    expect(await queryList(dns, 'filtered.example', parseCodeFilter('127.0.0.2', at), true)).toEqual({
      status: 'clear',
    })
    expect(await queryList(dns, 'absent.example', undefined, true)).toEqual({ status: 'clear' })
    expect(await queryList(dns, 'broken.example', undefined, true)).toEqual({
      status: 'error',
      code: 'ESERVFAIL',
    })
    expect(txtQueries()).toBe(1)
  })

  it('falls back to no text when the TXT lookup fails', async () => {
    const { dns } = resolver({ 'listed.example': ['127.0.0.2'] }, { 'listed.example': 'ETIMEOUT' })
    expect(await queryList(dns, 'listed.example', undefined, true)).toMatchObject({ text: undefined })
  })
})

describe('policy', () => {
  it('reads dns_error', () => {
    expect(parseDnsErrorPolicy(undefined, 'pass')).toBe('pass')
    expect(parseDnsErrorPolicy(' Defer ', 'pass')).toBe('defer')
    expect(() => parseDnsErrorPolicy('maybe', 'pass')).toThrow('dns_error must be pass or defer, not "maybe"')
  })

  it('makes TXT text safe for a reply', () => {
    expect(replySafe('listed\r\n250 OK\x00')).toBe('listed 250 OK')
    expect(replySafe('x'.repeat(500))).toBe(`${'x'.repeat(397)}...`)
  })
})
