import { setTimeout as sleep } from 'node:timers/promises'
import {
  createDnsResolver,
  DECLINED,
  DENY,
  DENYSOFT,
  type DnsResolver,
  type HookResult,
  NOTE,
} from '@postern/core'
import { TEST_DNS, useTestDns } from '@postern/test-peers'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it, vi } from 'vitest'
import pkg from '../package.json'
import plugin, { parseAllow } from '../src/index.js'

// A real dnsmasq with the shared test zones (see @postern/test-peers dns-zones.ts).
const { peer, resolver } = await useTestDns('dnsbl')
const { ip: IP, zone: Z } = TEST_DNS

function load(
  zones: string[],
  opts: { args?: string; dns?: DnsResolver; files?: Record<string, string[]> } = {},
) {
  return loadPluginForTest(plugin, {
    args: opts.args ?? '',
    dns: opts.dns ?? resolver(),
    config: { dnsbl_zones: zones, ...opts.files },
  })
}

/**
 * A resolver asking whichever real resolver `current()` returns at the time: a list whose
 * servers stop answering and then come back.
 */
function switching(current: () => DnsResolver): DnsResolver {
  return {
    resolve4: (name) => current().resolve4(name),
    resolve6: (name) => current().resolve6(name),
    resolveMx: (name) => current().resolveMx(name),
    resolveTxt: (name) => current().resolveTxt(name),
    resolvePtr: (name) => current().resolvePtr(name),
    resolveNs: (name) => current().resolveNs(name),
    reverse: (ip) => current().reverse(ip),
    get stats() {
      return current().stats
    },
    clearCache: () => current().clearCache(),
  }
}

/** A reply's text, lines joined with \n (results carry the lines as an array). */
const text = (result: HookResult): string => result.message.join('\n')

/** connect → rcpt, as the engine runs them; returns the RCPT result. */
async function session(harness: PluginHarness, remoteIp: string, rcpt = 'user@example.org', init = {}) {
  const s = harness.session({ remoteIp, ...init })
  await harness.first('connect', s)
  s.begin({ sender: 'someone@example.com' })
  const result = await harness.first('rcpt', s, testAddress(rcpt), new Map())
  return { s, result }
}

describe('dnsbl package', () => {
  it('declares the same core range at run time as in its peerDependencies', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(pkg.postern.plugin).toBe(plugin.name)
  })
})

describe.skipIf(!peer)('dnsbl against dnsmasq', () => {
  it('refuses a listed client at RCPT with the list TXT text, and notes it on the connection', async () => {
    const harness = await load([Z.dnsbl])
    const { s, result } = await session(harness, IP.listed)
    expect(result).toMatchObject({ code: DENY, enhanced: '5.7.1', plugin: 'dnsbl' })
    expect(text(result)).toBe(`Listed in bl.test, see https://bl.test/q?${IP.listed}`)
    expect(s.connection.notes.get('dnsbl')).toBe(text(result))
  })

  it('uses the servers of config/dns_servers when no resolver is given (as the engine will)', async () => {
    const h = await loadPluginForTest(plugin, {
      config: { dnsbl_zones: [Z.dnsbl], dns_servers: [peer!.server], dns_timeout: '1' },
    })
    expect((await session(h, IP.listed)).result.code).toBe(DENY)
    expect((await session(h, IP.unlisted)).result.code).toBe(DECLINED)
    expect(h.host.dns.stats.queries).toBe(3) // A for both, TXT for the listing
  })

  it('lets postmaster and abuse mail through from a listed client', async () => {
    const harness = await load([Z.dnsbl])
    for (const rcpt of ['postmaster@example.org', 'Abuse@example.org', 'postmaster']) {
      const { result } = await session(harness, IP.listed, rcpt)
      expect(result.code).toBe(DECLINED)
    }
  })

  it('passes an unlisted client and logs one pass line', async () => {
    const harness = await load([Z.dnsbl, Z.dnsblAOnly])
    const { result } = await session(harness, IP.unlisted)
    expect(result.code).toBe(DECLINED)
    expect(harness.logs.some((e) => /pass, not listed in 2 zone/.test(e.message))).toBe(true)
  })

  it('looks IPv6 clients up in nibble form (and maps ::ffff: IPv4 clients back)', async () => {
    const harness = await load([Z.dnsbl])
    expect((await session(harness, IP.listedV6)).result).toMatchObject({ code: DENY })
    expect((await session(harness, IP.unlistedV6)).result.code).toBe(DECLINED)
    expect((await session(harness, `::ffff:${IP.listed}`)).result.code).toBe(DENY)
  })

  it('uses the zone message with %IP% and %ZONE% for lists without TXT records', async () => {
    const harness = await load([`${Z.dnsblAOnly} Blocked: %IP% is listed in %ZONE%`])
    const { result } = await session(harness, IP.listed)
    expect(text(result)).toBe(`Blocked: ${IP.listed} is listed in ${Z.dnsblAOnly}`)
  })

  it("accepts qpsmtpd's zone:message form", async () => {
    const harness = await load([`${Z.dnsblAOnly}:See https://a.bl.test/?%IP%`])
    const { result } = await session(harness, IP.listed)
    expect(text(result)).toBe(`See https://a.bl.test/?${IP.listed}`)
  })

  it('filters by return code per zone: 127.0.0.2 lists, 127.0.0.10 does not (and vice versa)', async () => {
    const spamOnly = await load([`${Z.dnsbl} 127.0.0.2`])
    expect((await session(spamOnly, IP.listed)).result.code).toBe(DENY)
    expect((await session(spamOnly, IP.listedPbl)).result.code).toBe(DECLINED)
    expect((await session(spamOnly, IP.listedTwice)).result.code).toBe(DECLINED)
    await spamOnly.close()
    const pbl = await load([`${Z.dnsbl} 127.0.0.10-127.0.0.11 Dynamic address %IP%`])
    expect((await session(pbl, IP.listed)).result.code).toBe(DECLINED)
    const dynamic = (await session(pbl, IP.listedPbl)).result
    expect(dynamic.code).toBe(DENY)
    expect(text(dynamic)).toBe(`Dynamic address ${IP.listedPbl}`)
    expect((await session(pbl, IP.listedTwice)).result.code).toBe(DENY)
  })

  it("does not take a list's error code (127.255.255.x) for a listing", async () => {
    const harness = await load([Z.dnsbl])
    const { result } = await session(harness, IP.listErrorCode)
    expect(result.code).toBe(DECLINED)
    expect(harness.logs.some((e) => /127\.255\.255\.254: not a listing/.test(e.message))).toBe(true)
  })

  it('answers with the first listing in config order, whatever answers first', async () => {
    const harness = await load([`${Z.dnsblAOnly} first %ZONE%`, Z.dnsbl])
    expect(text((await session(harness, IP.listed)).result)).toBe(`first ${Z.dnsblAOnly}`)
  })

  it('prepends dnsbl_rejectmsg lines to the reply', async () => {
    const harness = await load([Z.dnsbl], {
      files: { dnsbl_rejectmsg: ['Blocked by policy.', 'Ask %IP% owner'] },
    })
    const { result } = await session(harness, IP.listed)
    expect(text(result)).toBe(
      `Blocked by policy.\nAsk ${IP.listed} owner\nListed in bl.test, see https://bl.test/q?${IP.listed}`,
    )
  })

  it('never looks up clients in dnsbl_allow (address, prefix, CIDR)', async () => {
    const dns = resolver()
    const harness = await load([Z.dnsbl], {
      dns,
      files: { dnsbl_allow: ['192.0.2.66', '192.0.2.1', '2001:db8::/32', '198.51.100.'] },
    })
    for (const ip of [IP.listed, IP.listedV6, '198.51.100.7'])
      expect((await session(harness, ip)).result.code).toBe(DECLINED)
    expect(dns.stats.queries).toBe(0)
    expect((await session(harness, IP.listedPbl)).result.code).toBe(DENY)
  })

  it('lets a whitelisted host and a relay client through', async () => {
    const harness = await load([Z.dnsbl])
    const white = await session(harness, IP.listed, 'user@example.org', {
      notes: { [NOTE.whitelistHost]: 'wl.test: Known good' },
    })
    expect(white.result.code).toBe(DECLINED)
    const relay = await session(harness, IP.listed, 'user@example.org', { relayClient: true })
    expect(relay.result.code).toBe(DECLINED)
  })

  it('lets recipients a whitelist marked through from a listed client, and refuses the others', async () => {
    const harness = await load([Z.dnsbl])
    const s = harness.session({ remoteIp: IP.listed })
    await harness.first('connect', s)
    s.begin({ sender: 'someone@example.com' })
    // The notes whitelist / whitelist_soft set: whitelistrcpt, and per_recipient host and sender.
    for (const note of [NOTE.whitelistRcpt, NOTE.whitelistHost, NOTE.whitelistSender]) {
      const rcpt = testAddress(`${note}@example.org`)
      rcpt.notes.set(note, 1)
      expect((await harness.first('rcpt', s, rcpt, new Map())).code, note).toBe(DECLINED)
    }
    expect((await harness.first('rcpt', s, testAddress('user@example.org'), new Map())).code).toBe(DENY)
    expect(harness.logs.some((e) => /skip, immune \(whitelisted recipient\)/.test(e.message))).toBe(true)
  })

  it('honours reject_type temp, reject 0 and reject naughty', async () => {
    const temp = await load([Z.dnsbl], { args: 'reject_type temp' })
    expect((await session(temp, IP.listed)).result).toMatchObject({ code: DENYSOFT, enhanced: '4.7.1' })
    await temp.close()

    const off = await load([Z.dnsbl], { args: 'reject 0' })
    expect((await session(off, IP.listed)).result.code).toBe(DECLINED)
    expect(off.logs.some((e) => /fail, tolerated/.test(e.message))).toBe(true)
    await off.close()

    const h = await load([Z.dnsbl], { args: 'reject naughty' })
    const s = h.session({ remoteIp: IP.listed })
    await h.first('connect', s)
    // The deferred reject is stored at connect, for the engine to apply at its phase.
    expect(s.connection.notes.get(NOTE.naughty)).toBe(`Listed in bl.test, see https://bl.test/q?${IP.listed}`)
  })

  it('runs every zone at once: all queries are in flight before the first one could time out', async () => {
    const dns = resolver(3000, peer!.stubs.blackHole.server)
    const before = peer!.stubs.blackHole.queries
    const harness = await load(['z1.test', 'z2.test', 'z3.test'], { dns })
    const s = harness.session({ remoteIp: IP.listed })
    await harness.first('connect', s)
    await vi.waitFor(() => expect(peer!.stubs.blackHole.queries - before).toBe(3), { timeout: 2000 })
  })

  describe('DNS down', () => {
    it('passes by default when a list times out, and logs it', async () => {
      const harness = await load([`${Z.timeout}`], { dns: resolver(300) })
      const { result } = await session(harness, IP.listed)
      expect(result.code).toBe(DECLINED)
      expect(harness.logs.some((e) => /no answer from slow\.test; passing/.test(e.message))).toBe(true)
    })

    it('passes by default when the only server never answers (black hole)', async () => {
      const harness = await load([Z.dnsbl], { dns: resolver(300, peer!.blackHole) })
      expect((await session(harness, IP.listed)).result.code).toBe(DECLINED)
    })

    it('still refuses on the lists that did answer', async () => {
      const harness = await load([Z.timeout, Z.servfail, Z.dnsbl], { dns: resolver(300) })
      expect((await session(harness, IP.listed)).result.code).toBe(DENY)
    })

    it("bounds the lookups by the plugin's own timeout argument, before the resolver gives up", async () => {
      const dns = resolver(10_000)
      const harness = await load([Z.timeout, Z.dnsbl], { args: 'timeout 0.3', dns })
      expect((await session(harness, IP.listed)).result.code).toBe(DENY) // the list that answered
      const unlisted = await session(harness, IP.unlisted)
      expect(unlisted.result.code).toBe(DECLINED)
      expect(harness.logs.some((e) => /slow\.test: lookup failed \(ETIMEOUT\)/.test(e.message))).toBe(true)
      expect(dns.stats.timeouts).toBe(0) // the resolver is still waiting: the plugin's deadline decided
    })

    it('defers with 451 4.4.3 when told to (dns_error defer), postmaster still passes', async () => {
      const harness = await load([Z.servfail], { args: 'dns_error defer', dns: resolver(300) })
      expect((await session(harness, IP.listed)).result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.3' })
      expect((await session(harness, IP.listed, 'postmaster@example.org')).result.code).toBe(DECLINED)
    })

    // Clients get addresses of their own below: the resolver caches a failure per name, so only a
    // new name shows whether the zone is asked.
    describe('a zone that stops answering (zone_failures, zone_cooldown)', () => {
      const client = (n: number) => `198.51.100.${n}`
      const lines = (h: PluginHarness, re: RegExp) => h.logs.filter((e) => re.test(e.message)).length

      it('skips a black-holed zone after N failures, probes it once after the cool-down, and keeps asking the zone that answers', async () => {
        const blackHole = peer!.stubs.blackHole
        const harness = await load([Z.timeout, Z.dnsbl], {
          args: 'zone_failures 3 zone_cooldown 3',
          dns: resolver(300),
        })
        const before = blackHole.queries
        const asked = () => blackHole.queries - before
        // Three new clients at once: three names time out in slow.test.
        const first = await Promise.all([1, 2, 3].map((n) => session(harness, client(n))))
        expect(first.map((r) => r.result.code)).toEqual([DECLINED, DECLINED, DECLINED])
        expect(asked()).toBe(3)
        expect(
          lines(harness, /slow\.test: 3 lookups in a row failed \(last: ETIMEOUT\): skipped for 3s/),
        ).toBe(1)

        // Skipped: the next clients pass at once under dns_error pass, the black hole hears nothing,
        // and a listing in bl.test still refuses.
        expect((await session(harness, client(4))).result.code).toBe(DECLINED)
        expect((await session(harness, IP.listed)).result).toMatchObject({ code: DENY, enhanced: '5.7.1' })
        expect(asked()).toBe(3)
        expect(lines(harness, /no answer from slow\.test \(skipped: not answering\); passing/)).toBe(1)
        // The per-client warning is for real failures only: the three, not the skipped ones.
        expect(lines(harness, /slow\.test: lookup failed/)).toBe(3)

        // A cool-down of 3 s leaves the skipped-phase checks above room on a busy machine.
        await sleep(3100)
        // Cool-down over: of two clients at once, one probes; the probe times out too.
        const probe = await Promise.all([5, 6].map((n) => session(harness, client(n))))
        expect(probe.map((r) => r.result.code)).toEqual([DECLINED, DECLINED])
        expect(asked()).toBe(4)
        expect((await session(harness, client(7))).result.code).toBe(DECLINED)
        expect(asked()).toBe(4)
        expect(lines(harness, /slow\.test still does not answer \(ETIMEOUT\)/)).toBe(1)
        expect(lines(harness, /lookups in a row failed/)).toBe(1)
      })

      it('puts a zone back in use when the probe gets an answer, logging each change once', async () => {
        const dead = resolver(300, peer!.blackHole)
        const alive = resolver()
        let current = dead
        const harness = await load([Z.dnsbl], {
          args: 'zone_failures 2 zone_cooldown 3',
          dns: switching(() => current),
        })
        await Promise.all([11, 12].map((n) => session(harness, client(n))))
        // The list answers again, but stays skipped until its cool-down is over.
        current = alive
        expect((await session(harness, IP.listed)).result.code).toBe(DECLINED)
        expect(alive.stats.queries).toBe(0)

        // A cool-down of 3 s leaves the skipped-phase checks above room on a busy machine.
        await sleep(3100)
        expect((await session(harness, IP.listed)).result.code).toBe(DENY) // the probe
        expect((await session(harness, IP.listedPbl)).result.code).toBe(DENY)
        expect((await session(harness, client(13))).result.code).toBe(DECLINED)
        expect(alive.stats.queries).toBe(5) // A and TXT for each listing, A for the clean client
        expect(lines(harness, /bl\.test: 2 lookups in a row failed/)).toBe(1)
        expect(lines(harness, /bl\.test answers again: back in use/)).toBe(1)
      })

      it('with dns_error defer, defers while a SERVFAIL zone is skipped, at once; 5 failures by default', async () => {
        const servfail = peer!.stubs.servfail
        const harness = await load([Z.servfail], { args: 'dns_error defer', dns: resolver(300) })
        // Per client: did the SERVFAIL server hear of it? (dnsmasq may ask it more than once.)
        const heard: boolean[] = []
        for (let n = 21; n <= 28; n++) {
          const before = servfail.queries
          expect((await session(harness, client(n))).result, client(n)).toMatchObject({
            code: DENYSOFT,
            enhanced: '4.4.3',
          })
          heard.push(servfail.queries > before)
        }
        expect(heard).toEqual([true, true, true, true, true, false, false, false])
        expect(lines(harness, /fail, no answer from broken\.test \(skipped: not answering\)/)).toBe(3)
        expect((await session(harness, client(29), 'postmaster@example.org')).result.code).toBe(DECLINED)
      })

      it('never skips with zone_failures 0, nor for NXDOMAIN (not listed) answers', async () => {
        const servfail = peer!.stubs.servfail
        const off = await load([Z.servfail], { args: 'zone_failures 0', dns: resolver(300) })
        const heard: boolean[] = []
        for (let n = 31; n <= 37; n++) {
          const before = servfail.queries
          await session(off, client(n))
          heard.push(servfail.queries > before)
        }
        expect(heard).toEqual(new Array(7).fill(true))
        await off.close()

        const harness = await load([Z.dnsbl], { args: 'zone_failures 1' })
        for (let n = 41; n <= 45; n++) expect((await session(harness, client(n))).result.code).toBe(DECLINED)
        expect((await session(harness, IP.listed)).result.code).toBe(DENY)
        expect(lines(harness, /lookups in a row failed/)).toBe(0)
      })
    })
  })
})

describe('dnsbl config', () => {
  it('refuses a bad zone line at load, naming file and line', async () => {
    await expect(
      loadPlugin(plugin, { config: { dnsbl_zones: ['bl.test', 'bad_zone!'] }, dns: createDnsResolver() }),
    ).rejects.toThrow(/dnsbl_zones:2: bad DNS zone/)
    await expect(
      loadPlugin(plugin, { config: { dnsbl_zones: ['bl.test 127.0.0.300'] }, dns: createDnsResolver() }),
    ).rejects.toThrow(/dnsbl_zones:1: bad return-code filter/)
    await expect(
      loadPlugin(plugin, { config: { dnsbl_allow: ['nonsense'] }, dns: createDnsResolver() }),
    ).rejects.toThrow(/dnsbl_allow:1: bad address/)
    await expect(loadPlugin(plugin, { args: 'dns_error maybe', dns: createDnsResolver() })).rejects.toThrow(
      /dns_error must be pass or defer/,
    )
    for (const bad of ['0', '-1', 'soon'])
      await expect(loadPlugin(plugin, { args: `timeout ${bad}`, dns: createDnsResolver() })).rejects.toThrow(
        /timeout must be a number of seconds above 0/,
      )
    await expect(loadPlugin(plugin, { args: 'zone_failures few', dns: createDnsResolver() })).rejects.toThrow(
      /zone_failures must be a whole number/,
    )
    await expect(
      loadPlugin(plugin, { args: 'zone_cooldown soon', dns: createDnsResolver() }),
    ).rejects.toThrow(/zone_cooldown must be seconds/)
  })

  it('does nothing without dnsbl_zones', async () => {
    const dns = createDnsResolver({ servers: ['127.0.0.1:9'], timeout: 200 })
    const h = await loadPluginForTest(plugin, { dns })
    const { result } = await session(h, IP.listed)
    expect(result.code).toBe(DECLINED)
    expect(dns.stats.queries).toBe(0)
  })
})

describe('dnsbl_allow parsing', () => {
  const lines = (...values: string[]) => values.map((value, i) => ({ value, file: 'f', line: i + 1 }))

  it('reads addresses, CIDR blocks and qpsmtpd prefixes of both families', () => {
    const allow = parseAllow(
      lines('192.0.2.1', '198.51.100.0/24 partner', '172.16.33.', '2001:DB8:', 'fd00::/8'),
    )
    for (const ip of [
      '192.0.2.1',
      '198.51.100.9',
      '172.16.33.5',
      '2001:db8::1',
      'fd12::1',
      '::ffff:198.51.100.9',
    ])
      expect(allow.has(ip), ip).toBe(true)
    for (const ip of ['192.0.2.2', '172.16.34.1', '2001:db9::1', 'not-an-ip'])
      expect(allow.has(ip), ip).toBe(false)
  })

  it('names the bad entry with file and line', () => {
    for (const bad of ['nonsense', '10.0.0.0/33', '172.16.33'])
      expect(() => parseAllow(lines('192.0.2.1', bad))).toThrow(`f:2: bad address ${JSON.stringify(bad)}`)
  })
})
