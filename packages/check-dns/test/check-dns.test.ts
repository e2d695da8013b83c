import path from 'node:path'
import { DECLINED, DENY, DENYSOFT, type HookResult, NOTE } from '@postern/core'
import { TEST_DNS, useTestDns } from '@postern/test-peers'
import {
  type ConfigFiles,
  loadInstalled,
  loadPlugin,
  loadPluginForTest,
  type PluginHarness,
  testAddress,
} from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { DEFAULT_INVALID_NETWORKS, defaultNetworks, parseNetworks } from '../src/index.js'

const { peer, resolver } = await useTestDns('check_dns')
const { domain: D } = TEST_DNS

const text = (result: HookResult): string => result.message.join('\n')

function load(args = '', config: ConfigFiles = {}, dns = resolver()) {
  return loadPluginForTest(plugin, { args, dns, config })
}

async function send(harness: PluginHarness, sender: string, rcpt = 'user@example.org', notes = {}) {
  const s = harness.session({ remoteIp: TEST_DNS.ip.server, notes })
  const tx = s.begin({ sender })
  await harness.first('mail', s, tx.sender!, new Map())
  const result = await harness.first('rcpt', s, testAddress(rcpt), new Map())
  return { tx, result, note: tx.notes.get('resolvable_fromhost') }
}

describe('check_dns package', () => {
  it('is found by its qpsmtpd names through the installed package (the built dist)', async () => {
    const h = await loadInstalled(path.resolve(import.meta.dirname, '..'), {
      config: { plugins: 'require_resolvable_fromhost\nresolvable_fromhost:2\n' },
    })
    try {
      expect(h.host.plugins.map((p) => [p.instance, p.name, p.packageName])).toEqual([
        ['require_resolvable_fromhost', 'check_dns', '@postern/check-dns'],
        ['resolvable_fromhost:2', 'check_dns', '@postern/check-dns'],
      ])
    } finally {
      await h.close()
    }
  })

  it('declares its core range, name and the qpsmtpd names as aliases', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(pkg.postern).toEqual({ plugin: plugin.name, aliases: [...plugin.aliases] })
    expect(plugin.aliases).toEqual(['require_resolvable_fromhost', 'resolvable_fromhost'])
  })
})

describe.skipIf(!peer)('check_dns against dnsmasq', () => {
  it('passes a domain with MX, with A only and with AAAA only', async () => {
    const harness = await load()
    expect(await send(harness, `a@${D.mx}`)).toMatchObject({ result: { code: DECLINED }, note: 'mx' })
    expect(await send(harness, `a@${D.aOnly}`)).toMatchObject({ result: { code: DECLINED }, note: 'a' })
    expect(await send(harness, `a@${D.aaaaOnly}`)).toMatchObject({ result: { code: DECLINED }, note: 'a' })
    expect(await send(harness, `a@${D.mixed}`)).toMatchObject({ result: { code: DECLINED }, note: 'a' })
  })

  it('passes the null sender and address literals', async () => {
    const harness = await load()
    expect(await send(harness, '<>')).toMatchObject({ result: { code: DECLINED }, note: 'null' })
    expect(await send(harness, 'a@[192.0.2.1]')).toMatchObject({ result: { code: DECLINED }, note: 'ip' })
  })

  it('refuses a domain that does not exist, or has no address, with 450 4.1.8 by default', async () => {
    const harness = await load()
    const nx = await send(harness, `a@${D.nxdomain}`)
    expect(nx.result).toMatchObject({ code: DENYSOFT, enhanced: '4.1.8' })
    expect(text(nx.result)).toBe(`Sender domain ${D.nxdomain} does not exist`)
    expect(nx.note).toBe(`${D.nxdomain} does not exist`)
    const none = await send(harness, `a@${D.noAddress}`)
    expect(none.result).toMatchObject({ code: DENYSOFT, enhanced: '4.1.8' })
    expect(text(none.result)).toBe(`Sender domain ${D.noAddress} has no usable MX or address record`)
    expect((await send(harness, `a@${D.danglingMx}`)).result.code).toBe(DENYSOFT)
  })

  it('refuses permanently (550 5.1.8) with reject_type perm', async () => {
    const harness = await load('reject_type perm')
    expect((await send(harness, `a@${D.nxdomain}`)).result).toMatchObject({ code: DENY, enhanced: '5.1.8' })
  })

  it('refuses domains that resolve only into invalid networks (defaults without the file)', async () => {
    const harness = await load('reject_type perm')
    expect((await send(harness, `a@${D.privateOnly}`)).result).toMatchObject({
      code: DENY,
      enhanced: '5.1.8',
    })
    expect((await send(harness, `a@${D.loopbackMx}`)).result).toMatchObject({ code: DENY, enhanced: '5.1.8' })
    // One usable address among invalid ones is enough.
    expect((await send(harness, `a@${D.mixed}`)).result.code).toBe(DECLINED)
  })

  it('uses invalid_resolvable_fromhost when present (an empty file: no invalid networks)', async () => {
    const custom = await load('reject_type perm', {
      invalid_resolvable_fromhost: ['192.0.2.0/24', '2001:db8::/32'],
    })
    expect((await send(custom, `a@${D.mx}`)).result.code).toBe(DENY)
    expect((await send(custom, `a@${D.aaaaOnly}`)).result.code).toBe(DENY)
    expect((await send(custom, `a@${D.privateOnly}`)).result.code).toBe(DECLINED)
    await custom.close()
    const empty = await load('reject_type perm', { invalid_resolvable_fromhost: '' })
    expect((await send(empty, `a@${D.loopbackMx}`)).result.code).toBe(DECLINED)
  })

  it('refuses a null-MX domain with 550 5.7.27 (RFC 7505)', async () => {
    const harness = await load()
    expect((await send(harness, `a@${D.nullMx}`)).result).toMatchObject({ code: DENY, enhanced: '5.7.27' })
  })

  it('lets postmaster and immune sessions through', async () => {
    const harness = await load()
    expect((await send(harness, `a@${D.nxdomain}`, 'postmaster@example.org')).result.code).toBe(DECLINED)
    const white = await send(harness, `a@${D.nxdomain}`, 'user@example.org', { [NOTE.whitelistHost]: 'x' })
    expect(white).toMatchObject({ result: { code: DECLINED }, note: 'whitelist' })
  })

  it('lets recipients a whitelist marked through, and refuses the others', async () => {
    const harness = await load()
    const s = harness.session({ remoteIp: TEST_DNS.ip.server })
    const tx = s.begin({ sender: `a@${D.nxdomain}` })
    await harness.first('mail', s, tx.sender!, new Map())
    // The notes whitelist / whitelist_soft set: whitelistrcpt, and per_recipient host and sender.
    for (const note of [NOTE.whitelistRcpt, NOTE.whitelistHost, NOTE.whitelistSender]) {
      const rcpt = testAddress(`${note}@example.org`)
      rcpt.notes.set(note, 1)
      expect((await harness.first('rcpt', s, rcpt, new Map())).code, note).toBe(DECLINED)
    }
    expect((await harness.first('rcpt', s, testAddress('user@example.org'), new Map())).code).toBe(DENYSOFT)
    // The sender's result is kept for the other recipients, not replaced by "whitelist".
    expect(tx.notes.get('resolvable_fromhost')).not.toBe('whitelist')
  })

  it('honours reject 0 (log only)', async () => {
    const harness = await load('reject 0')
    expect((await send(harness, `a@${D.nxdomain}`)).result.code).toBe(DECLINED)
    expect(harness.logs.some((e) => /fail, tolerated/.test(e.message))).toBe(true)
  })

  describe('DNS down: always 451 4.4.3, never 5xx', () => {
    it('SERVFAIL', async () => {
      const harness = await load('reject_type perm', {}, resolver(300))
      const { result } = await send(harness, `a@${D.servfail}`)
      expect(result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.3' })
      expect(text(result)).toBe(`Temporary DNS failure resolving ${D.servfail}, try again later`)
    })

    it('timeout (a zone that never answers)', async () => {
      const harness = await load('reject_type perm', {}, resolver(300))
      expect((await send(harness, `a@${D.timeout}`)).result).toMatchObject({
        code: DENYSOFT,
        enhanced: '4.4.3',
      })
    })

    it('timeout (the only server is a black hole)', async () => {
      const harness = await load('reject_type perm', {}, resolver(300, peer!.blackHole))
      expect((await send(harness, `a@${D.mx}`)).result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.3' })
    })
  })
})

describe('check_dns config', () => {
  it('refuses a bad network line at load, naming file and line', async () => {
    await expect(
      loadPlugin(plugin, { config: { invalid_resolvable_fromhost: ['10.0.0.0/8', '10.0.0.0/33'] } }),
    ).rejects.toThrow(/invalid_resolvable_fromhost:2: bad network/)
  })
})

describe('invalid_resolvable_fromhost parsing', () => {
  const lines = (...values: string[]) => values.map((value, i) => ({ value, file: 'f', line: i + 1 }))

  it('reads addresses and CIDR blocks of both families; IPv6 spellings and IPv4-mapped addresses match', () => {
    const n = parseNetworks(lines('10.0.0.0/8 private', '2001:DB8::/32', '192.0.2.7'))
    expect(n.size).toBe(3)
    expect(['10.1.2.3', '::ffff:10.1.2.3', '2001:db8:0:0::1', '192.0.2.7'].map((ip) => n.has(ip))).toEqual([
      true,
      true,
      true,
      true,
    ])
    expect(['11.0.0.1', '2001:db9::1', '192.0.2.8', 'not-an-ip'].some((ip) => n.has(ip))).toBe(false)
  })

  it('names the bad entry with file and line', () => {
    for (const bad of ['10.0.0.0/', '10.0.0.0/8/8', '2001:db8::/129', 'example.com'])
      expect(() => parseNetworks(lines('10.0.0.0/8', bad))).toThrow(`f:2: bad network ${JSON.stringify(bad)}`)
  })

  it('defaults to private, loopback, link-local and multicast networks of both families', () => {
    const n = defaultNetworks()
    expect(n.size).toBe(DEFAULT_INVALID_NETWORKS.length)
    expect(
      ['10.1.2.3', '127.0.0.1', '192.168.1.1', '::1', 'fe80::1', 'fd00::1'].every((ip) => n.has(ip)),
    ).toBe(true)
    expect(['192.0.2.1', '2001:db8::1'].some((ip) => n.has(ip))).toBe(false)
  })
})
