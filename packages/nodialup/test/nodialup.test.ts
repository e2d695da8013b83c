import { DECLINED, DENY, DENYSOFT, type HookResult, NOTE } from '@postern/core'
import { TEST_DNS, useTestDns } from '@postern/test-peers'
import {
  type ConfigFiles,
  loadPlugin,
  loadPluginForTest,
  type PluginHarness,
  testAddress,
} from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { compilePattern, DEFAULT_PATTERNS, embedsIp, parseExceptions } from '../src/index.js'

const { peer, resolver } = await useTestDns('nodialup')
const { ip: IP } = TEST_DNS

const text = (result: HookResult): string => result.message.join('\n')

function load(args = '', config: ConfigFiles = {}, dns = resolver()) {
  return loadPluginForTest(plugin, { args, dns, config })
}

async function session(harness: PluginHarness, remoteIp: string, rcpt = 'user@example.org', notes = {}) {
  const s = harness.session({ remoteIp, notes })
  await harness.first('connect', s)
  s.begin({ sender: 'a@example.com' })
  const result = await harness.first('rcpt', s, testAddress(rcpt), new Map())
  return { s, result }
}

describe('nodialup package', () => {
  it('declares the same core range at run time as in its peerDependencies', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(pkg.postern.plugin).toBe(plugin.name)
  })
})

describe.skipIf(!peer)('nodialup against dnsmasq', () => {
  it('refuses a client whose PTR looks dynamic (IPv4 and IPv6), at RCPT', async () => {
    const harness = await load()
    const v4 = await session(harness, IP.dynamic)
    expect(v4.result).toMatchObject({ code: DENY, enhanced: '5.7.1', plugin: 'nodialup' })
    expect(text(v4.result)).toBe(
      "Dynamic or residential address (dsl-192-0-2-7.dyn.example.net): send through your provider's mail server",
    )
    expect(v4.s.connection.notes.get('nodialup')).toMatch(
      /^dsl-192-0-2-7\.dyn\.example\.net looks dynamic: matches/,
    )
    expect((await session(harness, IP.dynamicV6)).result.code).toBe(DENY)
  })

  it('passes clients with a normal PTR', async () => {
    const harness = await load()
    expect((await session(harness, IP.server)).result.code).toBe(DECLINED)
    expect((await session(harness, IP.serverV6)).result.code).toBe(DECLINED)
    expect((await session(harness, IP.listed)).result.code).toBe(DECLINED) // host66.example.org
  })

  it('refuses a client without reverse DNS, unless reject_no_rdns 0', async () => {
    const strict = await load()
    const { result } = await session(strict, IP.noPtr)
    expect(result).toMatchObject({ code: DENY, enhanced: '5.7.1' })
    expect(text(result)).toBe(`No reverse DNS for ${IP.noPtr}: mail servers need one`)
    await strict.close()
    const lenient = await load('reject_no_rdns 0')
    expect((await session(lenient, IP.noPtr)).result.code).toBe(DECLINED)
  })

  it('lets exceptions through: address, CIDR, host name, domain suffix', async () => {
    const harness = await load('', {
      nodialup_exceptions: ['192.0.2.9', '2001:db8::/64', '.dyn.example.net'],
    })
    expect((await session(harness, IP.noPtr)).result.code).toBe(DECLINED)
    expect((await session(harness, IP.dynamicV6)).result.code).toBe(DECLINED)
    expect((await session(harness, IP.dynamic)).result.code).toBe(DECLINED)
    await harness.close()
    const byName = await load('', { nodialup_exceptions: ['dsl-192-0-2-7.dyn.example.net'] })
    expect((await session(byName, IP.dynamic)).result.code).toBe(DECLINED)
  })

  it('lets postmaster, whitelisted hosts and relay clients through', async () => {
    const harness = await load()
    expect((await session(harness, IP.dynamic, 'postmaster@example.org')).result.code).toBe(DECLINED)
    const white = await session(harness, IP.dynamic, 'user@example.org', { [NOTE.whitelistHost]: 'wl' })
    expect(white.result.code).toBe(DECLINED)
  })

  it('lets recipients a whitelist marked through from a dynamic client, and refuses the others', async () => {
    const harness = await load()
    const s = harness.session({ remoteIp: IP.dynamic })
    await harness.first('connect', s)
    s.begin({ sender: 'a@example.com' })
    // The notes whitelist / whitelist_soft set: whitelistrcpt, and per_recipient host and sender.
    for (const note of [NOTE.whitelistRcpt, NOTE.whitelistHost, NOTE.whitelistSender]) {
      const rcpt = testAddress(`${note}@example.org`)
      rcpt.notes.set(note, 1)
      expect((await harness.first('rcpt', s, rcpt, new Map())).code, note).toBe(DECLINED)
    }
    expect((await harness.first('rcpt', s, testAddress('user@example.org'), new Map())).code).toBe(DENY)
  })

  it('uses nodialup_patterns instead of the built-in patterns when present', async () => {
    const harness = await load('embedded_ip 0', { nodialup_patterns: ['^host[0-9]+\\.'] })
    expect((await session(harness, IP.listed)).result.code).toBe(DENY) // host66.example.org
    expect((await session(harness, IP.dynamic)).result.code).toBe(DECLINED)
  })

  it('keeps the last good patterns when a live edit is bad, and logs it', async () => {
    const harness = await load('embedded_ip 0', { nodialup_patterns: ['^host[0-9]+\\.'] })
    harness.writeConfig('nodialup_patterns', ['(a+)+$'])
    expect((await session(harness, IP.listed)).result.code).toBe(DENY)
    expect(harness.logs.some((e) => /keeping the previous value.*backtrack/.test(e.message))).toBe(true)
  })

  describe('DNS down', () => {
    it('passes by default when the PTR lookup times out', async () => {
      const harness = await load('', {}, resolver(300, peer!.blackHole))
      expect((await session(harness, IP.dynamic)).result.code).toBe(DECLINED)
      expect(harness.logs.some((e) => /failed \(ETIMEOUT\); passing/.test(e.message))).toBe(true)
    })

    it('defers with 451 4.4.3 with dns_error defer (SERVFAIL)', async () => {
      const harness = await load('dns_error defer', {}, resolver(300, peer!.servfail))
      expect((await session(harness, IP.dynamic)).result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.3' })
    })
  })
})

describe('nodialup patterns', () => {
  it('refuses a bad pattern file at load, naming file and line', async () => {
    const bad = (patterns: string[]) => loadPlugin(plugin, { config: { nodialup_patterns: patterns } })
    await expect(bad(['dsl', '([a-z'])).rejects.toThrow(/nodialup_patterns:2: bad regular expression/)
    await expect(bad(['(a+)+$'])).rejects.toThrow(
      /nodialup_patterns:1: pattern may backtrack catastrophically/,
    )
    await expect(bad(['(x*)*y'])).rejects.toThrow(/nodialup_patterns:1: pattern may backtrack/)
    await expect(bad(['(dyn)-\\1'])).rejects.toThrow(/nodialup_patterns:1: backreferences are not allowed/)
    await expect(loadPlugin(plugin, { config: { nodialup_exceptions: ['bad_host!'] } })).rejects.toThrow(
      /nodialup_exceptions:1: bad exception/,
    )
  })

  it('ships safe built-in patterns that catch the usual pool names and spare server names', () => {
    const [re] = DEFAULT_PATTERNS.map((p) => compilePattern(p))
    for (const n of [
      'dsl-1-2-3-4.dyn.isp.example',
      'ppp123.isp.example',
      'cable-77.example',
      'x.pool.example',
    ])
      expect(re!.test(n)).toBe(true)
    for (const n of [
      'mail.example.com',
      'mx1.dynamics.example',
      'smtp.residence.example',
      'dslreports.example',
    ])
      expect(re!.test(n)).toBe(false)
  })

  it('finds the IP spelled out in a host name', () => {
    const ip = '192.0.2.7'
    for (const n of [
      '192-0-2-7.isp.example',
      'h7.2.0.192.in.example',
      'x-192-000-002-007.example',
      'c0000207.example',
    ])
      expect(embedsIp(n, ip)).toBe(true)
    for (const n of ['mail.example.com', '192-0-2-70.isp.example', 'x1192-0-2-7.example'])
      expect(embedsIp(n, ip)).toBe(false)
  })
})

describe('nodialup_exceptions parsing', () => {
  const lines = (...values: string[]) => values.map((value, i) => ({ value, file: 'f', line: i + 1 }))

  it('reads addresses, CIDR blocks, host names and .domain suffixes', () => {
    const ex = parseExceptions(
      lines('192.0.2.7', '198.51.100.0/24', '2001:DB8::/32', 'Mail.Example.NET.', '.isp.example'),
    )
    for (const ip of ['192.0.2.7', '198.51.100.200', '::ffff:198.51.100.1', '2001:db8::1'])
      expect(ex.hasIp(ip), ip).toBe(true)
    for (const ip of ['192.0.2.8', '2001:db9::1', 'not-an-ip']) expect(ex.hasIp(ip), ip).toBe(false)
    expect(['mail.example.net', 'MAIL.example.net.', 'dsl-1.isp.example'].every((n) => ex.hasName(n))).toBe(
      true,
    )
    expect(['example.net', 'isp.example.org'].some((n) => ex.hasName(n))).toBe(false)
  })

  it('names the bad entry with file and line', () => {
    for (const bad of ['bad_host!', '10.0.0.0/33', 'example.com/24'])
      expect(() => parseExceptions(lines('192.0.2.7', bad))).toThrow(
        `f:2: bad exception ${JSON.stringify(bad)}`,
      )
  })
})
