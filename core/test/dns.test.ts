/**
 * The shared resolver against a real DNS server: dnsmasq with the test zones (plus its black
 * hole and SERVFAIL stubs) from the test-peers package. Cache lifetimes run on an injected clock,
 * so expiry is asserted by query counts, never by waiting.
 */
import { describe, expect, it } from 'vitest'
import { useTestDns } from '../../packages/test-peers/src/dns-tests.js'
import { TEST_DNS } from '../../packages/test-peers/src/dns-zones.js'
import { createDnsResolver, DnsError, type DnsResolverOptions, parseDnsServers } from '../src/index.js'

const { peer } = await useTestDns('core resolver')
const { domain: D, ip: IP } = TEST_DNS

/** A resolver on the test DNS with a clock the test moves (lru-cache ignores a start of 0). */
function resolverWithClock(options: DnsResolverOptions = {}) {
  const clock = { ms: 1_000_000 }
  const dns = createDnsResolver({ servers: [peer!.server], timeout: 2000, now: () => clock.ms, ...options })
  const advance = (ms: number) => {
    clock.ms += ms
  }
  return { dns, advance }
}

/** The DnsError a lookup fails with (the test fails if it succeeds). */
async function failure(p: Promise<unknown>): Promise<DnsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DnsError)
  return err as DnsError
}

describe('parseDnsServers', () => {
  it('takes ip and ip:port lines (IPv6 with a port in brackets) and skips blank ones', () => {
    expect(
      parseDnsServers(['192.0.2.53', '', '  127.0.0.1:5353  ', '2001:db8::53', '[2001:db8::53]:5353']),
    ).toEqual(['192.0.2.53', '127.0.0.1:5353', '2001:db8::53', '[2001:db8::53]:5353'])
  })

  it('refuses what is no server address, naming the line', () => {
    for (const bad of [
      'dns.example',
      '192.0.2.300',
      '127.0.0.1:0',
      '127.0.0.1:65536',
      '[2001:db8::53]',
      '::1:53x',
    ])
      expect(() => parseDnsServers([bad]), bad).toThrow(`bad DNS server ${JSON.stringify(bad)}`)
  })
})

describe.skipIf(!peer)('createDnsResolver against dnsmasq', () => {
  it('keeps an A answer for its own TTL (300 s in the fixture), not the default', async () => {
    const { dns, advance } = resolverWithClock({ defaultTtl: 10_000 })
    expect(await dns.resolve4(D.aOnly)).toEqual(['192.0.2.30'])
    advance(60_000)
    expect(await dns.resolve4(D.aOnly)).toEqual(['192.0.2.30'])
    expect(dns.stats).toMatchObject({ queries: 1, cacheHits: 1 })
    advance(241_000) // 301 s after the answer
    await dns.resolve4(D.aOnly)
    expect(dns.stats).toMatchObject({ queries: 2, cacheHits: 1 })
  })

  it('caps a TTL at maxTtl', async () => {
    const { dns, advance } = resolverWithClock({ maxTtl: 30_000 })
    await dns.resolve6(D.aaaaOnly)
    advance(29_000)
    await dns.resolve6(D.aaaaOnly)
    expect(dns.stats).toMatchObject({ queries: 1, cacheHits: 1 })
    advance(2000)
    expect(await dns.resolve6(D.aaaaOnly)).toEqual(['2001:db8::30'])
    expect(dns.stats.queries).toBe(2)
  })

  it('keeps types without a TTL from node:dns (MX, TXT, PTR) for defaultTtl', async () => {
    const { dns, advance } = resolverWithClock({ defaultTtl: 10_000 })
    expect(await dns.resolveMx(D.mx)).toEqual([{ exchange: D.mxHost, priority: 10 }])
    expect(await dns.resolveTxt(D.mx)).toEqual(['v=spf1 ip4:192.0.2.0/25 -all'])
    expect(await dns.reverse(IP.server)).toEqual([D.mxHost])
    advance(9000)
    await Promise.all([dns.resolveMx(D.mx), dns.resolveTxt(D.mx), dns.reverse(IP.server)])
    expect(dns.stats).toMatchObject({ queries: 3, cacheHits: 3 })
    advance(2000)
    await Promise.all([dns.resolveMx(D.mx), dns.resolveTxt(D.mx), dns.reverse(IP.server)])
    expect(dns.stats).toMatchObject({ queries: 6, cacheHits: 3 })
  })

  it('caches NXDOMAIN and no-data answers for negativeTtl', async () => {
    const { dns, advance } = resolverWithClock({ negativeTtl: 20_000 })
    const nx = await failure(dns.resolve4(D.nxdomain))
    expect(nx).toMatchObject({ code: 'ENOTFOUND', isNotFound: true, isTemporary: false })
    const nodata = await failure(dns.resolveMx(D.aOnly))
    expect(nodata).toMatchObject({ code: 'ENODATA', isNotFound: true })
    advance(19_000)
    expect((await failure(dns.resolve4(D.nxdomain))).code).toBe('ENOTFOUND')
    expect((await failure(dns.resolveMx(D.aOnly))).code).toBe('ENODATA')
    expect(dns.stats).toMatchObject({ queries: 2, cacheHits: 2 })
    advance(2000)
    await failure(dns.resolve4(D.nxdomain))
    expect(dns.stats.queries).toBe(3)
  })

  it('caches a SERVFAIL for failureTtl only, and not at all with failureTtl 0', async () => {
    const { dns, advance } = resolverWithClock({ failureTtl: 5000 })
    const err = await failure(dns.resolve4(D.servfail))
    expect(err).toMatchObject({ code: 'ESERVFAIL', isTemporary: true, isNotFound: false })
    await failure(dns.resolve4(D.servfail))
    expect(dns.stats).toMatchObject({ queries: 1, cacheHits: 1 })
    advance(6000)
    await failure(dns.resolve4(D.servfail))
    expect(dns.stats.queries).toBe(2)

    const uncached = resolverWithClock({ failureTtl: 0 }).dns
    await failure(uncached.resolve4(D.servfail))
    await failure(uncached.resolve4(D.servfail))
    expect(uncached.stats).toMatchObject({ queries: 2, cacheHits: 0 })
  })

  it('shares one query among concurrent lookups of a name, and normalises case and the root dot', async () => {
    const { dns } = resolverWithClock()
    const answers = await Promise.all([
      dns.resolve4(D.mxHost),
      dns.resolve4(D.mxHost.toUpperCase()),
      dns.resolve4(`${D.mxHost}.`),
    ])
    expect(answers).toEqual([[IP.server], [IP.server], [IP.server]])
    expect(dns.stats).toMatchObject({ queries: 1, cacheHits: 0 })
  })

  it('empties the cache on clearCache()', async () => {
    const { dns } = resolverWithClock()
    await dns.resolve4(D.mxHost)
    dns.clearCache()
    await dns.resolve4(D.mxHost)
    expect(dns.stats).toMatchObject({ queries: 2, cacheHits: 0 })
  })
})

describe.skipIf(!peer)('createDnsResolver against a server that never answers', () => {
  it('gives up at the deadline with a temporary ETIMEOUT, shared by concurrent lookups', async () => {
    const hole = peer!.stubs.blackHole
    const before = hole.queries
    const clock = { ms: 1_000_000 }
    const dns = createDnsResolver({ servers: [peer!.blackHole], timeout: 300, now: () => clock.ms })
    const errors = await Promise.all([1, 2, 3].map(() => failure(dns.resolve4('x.example.com'))))
    for (const err of errors)
      expect(err).toMatchObject({ code: 'ETIMEOUT', isTemporary: true, isNotFound: false })
    expect(hole.queries - before).toBe(1)
    expect(dns.stats).toMatchObject({ queries: 1, timeouts: 1 })

    // Kept for failureTtl (5 s): the next client does not wait out another deadline.
    expect((await failure(dns.resolve4('x.example.com'))).code).toBe('ETIMEOUT')
    expect(dns.stats).toMatchObject({ queries: 1, cacheHits: 1, timeouts: 1 })
    clock.ms += 5001
    await failure(dns.resolve4('x.example.com'))
    expect(dns.stats).toMatchObject({ queries: 2, timeouts: 2 })
    expect(hole.queries - before).toBe(2)
  })
})
