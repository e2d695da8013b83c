import { MemoryStore } from '@postern/core'
import { describe, expect, it } from 'vitest'
import { addToBlacklist, formatEntry, normalizeIp, parseEntry } from '../src/index.js'

describe('normalizeIp', () => {
  it('gives one spelling per address', () => {
    expect(normalizeIp('192.0.2.7')).toBe('192.0.2.7')
    expect(normalizeIp(' 192.0.2.7 ')).toBe('192.0.2.7')
    expect(normalizeIp('::ffff:192.0.2.7')).toBe('192.0.2.7')
    expect(normalizeIp('::FFFF:192.0.2.7')).toBe('192.0.2.7')
    expect(normalizeIp('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1')
    expect(normalizeIp('[2001:db8::1]')).toBe('2001:db8::1')
    expect(normalizeIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1')
  })

  it('refuses what is not an address', () => {
    for (const bad of ['', 'example.com', '192.0.2', '192.0.2.256', 'fe80::1%eth0', '1.2.3.4/24'])
      expect(normalizeIp(bad)).toBeUndefined()
  })
})

describe('entry format', () => {
  it('round-trips added, until and a reason that holds the separator', () => {
    const v = formatEntry({ added: 1_767_225_600_000, until: 1_767_229_200_000, reason: 'a|b' })
    expect(v).toBe('1767225600|1767229200|a|b')
    expect(parseEntry(v)).toEqual({ added: 1_767_225_600_000, until: 1_767_229_200_000, reason: 'a|b' })
  })

  it('has an empty until for a permanent entry, and keeps reasons on one line', () => {
    const v = formatEntry({ added: 1_000_000, reason: 'line one\r\nline two' })
    expect(v).toBe('1000||line one line two')
    expect(parseEntry(v)).toEqual({ added: 1_000_000, reason: 'line one line two' })
  })

  it('reads a value typed by hand as all reason', () => {
    expect(parseEntry('spam run 2026-01')).toEqual({ reason: 'spam run 2026-01' })
  })

  it('addToBlacklist writes the normalised key with a TTL', async () => {
    const s = new MemoryStore()
    expect(await addToBlacklist(s, '::ffff:198.51.100.4', { ttl: 60_000, reason: 'test' })).toBe(
      '198.51.100.4',
    )
    const entries = []
    for await (const e of s.scan('198.51.100.4')) entries.push(e)
    expect(entries).toHaveLength(1)
    expect(entries[0]!.expiresAt).toBeGreaterThan(Date.now())
    const parsed = parseEntry(entries[0]!.value)
    expect(parsed.reason).toBe('test')
    expect(parsed.until).toBeGreaterThan(Date.now())
    await expect(addToBlacklist(s, 'nope')).rejects.toThrow(/not an IP/)
  })
})
