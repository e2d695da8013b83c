import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  IpList,
  type IpNetwork,
  ipFamily,
  ipListFromLines,
  parseIpNetwork,
  plainIp,
} from '../src/index.js'

const net = (t: string): IpNetwork => {
  const e = parseIpNetwork(t)
  if (typeof e === 'string') throw new Error(e)
  return e
}

describe('parseIpNetwork', () => {
  it('reads addresses and networks of both families', () => {
    expect(net(' 192.0.2.0/24 ')).toEqual({
      text: '192.0.2.0/24',
      address: '192.0.2.0',
      prefix: 24,
      family: 'ipv4',
    })
    expect(net('2001:db8::1')).toEqual({ text: '2001:db8::1', address: '2001:db8::1', family: 'ipv6' })
  })

  it('returns a message for what is not an address or network', () => {
    expect(parseIpNetwork('192.0.2.0/33')).toBe('bad prefix length /33 in 192.0.2.0/33 (0-32)')
    expect(parseIpNetwork('example.com')).toBe('not an IP address or CIDR network: example.com')
    for (const bad of ['2001:db8::/129', '192.0.2.0/24/1', '192.0.2.0/x', ''])
      expect(typeof parseIpNetwork(bad)).toBe('string')
  })
})

describe('plainIp and ipFamily', () => {
  it('compares clients in one spelling', () => {
    expect(plainIp(' ::FFFF:192.0.2.7 ')).toBe('192.0.2.7')
    expect(plainIp('[IPv6:2001:DB8::1]')).toBe('2001:db8::1')
    expect(plainIp('fe80::1%eth0')).toBe('fe80::1')
    expect(plainIp('not an ip')).toBe('not an ip')
    expect([ipFamily('192.0.2.7'), ipFamily('::1'), ipFamily('x')]).toEqual(['ipv4', 'ipv6', undefined])
  })
})

describe('IpList', () => {
  it('says which entry, in order, contains a client; mapped IPv4 matches IPv4 entries', () => {
    const list = new IpList(['192.0.2.0/24', '198.51.100.7', '2001:db8::/32', '192.0.2.1'].map(net))
    expect(list.size).toBe(4)
    expect(list.match('192.0.2.1')?.text).toBe('192.0.2.0/24')
    expect(list.match('::ffff:192.0.2.200')?.text).toBe('192.0.2.0/24')
    expect(list.match('198.51.100.7')?.text).toBe('198.51.100.7')
    expect(list.match('198.51.100.8')).toBeUndefined()
    expect(list.match('2001:0DB8:0:0::1')?.text).toBe('2001:db8::/32')
    expect(list.has('2001:db9::1')).toBe(false)
    expect(list.has('not an ip')).toBe(false)
  })

  it('keeps the fields an entry carries', () => {
    const list = new IpList<IpNetwork & { line: number }>()
    list.add({ ...net('10.0.0.0/8'), line: 3 })
    expect(list.match('10.1.2.3')?.line).toBe(3)
  })
})

describe('ipListFromLines', () => {
  const line = (value: string, n: number) => ({ value, file: 'config/list', line: n })

  it('takes the first word of each line, after any initial entries', () => {
    const list = ipListFromLines([line('192.0.2.0/24 our office', 1), line('  2001:db8::1  ', 2)], {
      initial: [net('10.0.0.0/8')],
    })
    expect(list.size).toBe(3)
    expect(list.match('10.9.9.9')?.text).toBe('10.0.0.0/8')
    expect(list.has('192.0.2.77')).toBe(true)
    expect(list.has('2001:db8:0:0:0:0:0:1')).toBe(true)
    expect(list.has('198.51.100.1')).toBe(false)
  })

  it("refuses a bad entry with its file and line, in core's words or the caller's", () => {
    const lines = [line('192.0.2.1', 1), line('192.0.2.0/33', 2)]
    expect(() => ipListFromLines(lines)).toThrow(ConfigError)
    expect(() => ipListFromLines(lines)).toThrow(
      'config/list:2: bad prefix length /33 in 192.0.2.0/33 (0-32)',
    )
    expect(() => ipListFromLines(lines, { message: (entry) => `bad network "${entry}"` })).toThrow(
      'config/list:2: bad network "192.0.2.0/33"',
    )
  })
})
