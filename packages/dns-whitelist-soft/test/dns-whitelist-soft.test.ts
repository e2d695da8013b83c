import { DECLINED, DENY, NOTE } from '@postern/core'
import dnsbl from '@postern/dnsbl'
import { TEST_DNS, useTestDns } from '@postern/test-peers'
import { loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const { peer, resolver } = await useTestDns('dns_whitelist_soft')
const { ip: IP, zone: Z } = TEST_DNS

function load(zones: string[], dns = resolver()) {
  return loadPluginForTest(plugin, { dns, config: { whitelist_zones: zones } })
}

async function connectAndMail(harness: PluginHarness, remoteIp: string, relayClient = false) {
  const s = harness.session({ remoteIp, relayClient })
  await harness.first('connect', s)
  const tx = s.begin({ sender: 'alice@example.com' })
  await harness.first('mail', s, tx.sender!, new Map())
  return s
}

describe('dns_whitelist_soft package', () => {
  it('declares the same core range at run time as in its peerDependencies', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(pkg.postern.plugin).toBe(plugin.name)
  })
})

describe.skipIf(!peer)('dns_whitelist_soft against dnsmasq', () => {
  it('sets the whitelisthost note (with the zone and TXT) for a listed client by MAIL', async () => {
    const harness = await load([Z.whitelist])
    const s = await connectAndMail(harness, IP.whitelisted)
    expect(s.connection.notes.get(NOTE.whitelistHost)).toBe(`${Z.whitelist}: Known good sender`)
    expect(harness.logs.some((e) => /pass, 192\.0\.2\.50 whitelisted by wl\.test/.test(e.message))).toBe(true)
  })

  it('leaves other clients alone', async () => {
    const harness = await load([Z.whitelist])
    const s = await connectAndMail(harness, IP.listed)
    expect(s.connection.notes.has(NOTE.whitelistHost)).toBe(false)
  })

  it('honours a return-code filter', async () => {
    const harness = await load([`${Z.whitelist} 127.0.0.3`])
    const s = await connectAndMail(harness, IP.whitelisted)
    expect(s.connection.notes.has(NOTE.whitelistHost)).toBe(false)
  })

  it('whitelists nobody when the lists are down (SERVFAIL, timeout), and says so', async () => {
    const harness = await load([Z.servfail, Z.timeout], resolver(300))
    const s = await connectAndMail(harness, IP.whitelisted)
    expect(s.connection.notes.has(NOTE.whitelistHost)).toBe(false)
    expect(harness.logs.filter((e) => /lookup failed .*not whitelisted by it/.test(e.message))).toHaveLength(
      2,
    )
  })

  it('makes dnsbl (listed later in config/plugins) let a whitelisted host through', async () => {
    const dns = resolver()
    const h = await loadPluginForTest(dnsbl, {
      before: [{ plugin }],
      dns,
      config: { whitelist_zones: [Z.whitelist], dnsbl_zones: [Z.dnsbl] },
    })
    // 192.0.2.50 is in bl.test too; the whitelist wins.
    const white = await connectAndMail(h, IP.whitelisted)
    expect((await h.first('rcpt', white, testAddress('user@example.org'), new Map())).code).toBe(DECLINED)
    const black = await connectAndMail(h, IP.listed)
    expect((await h.first('rcpt', black, testAddress('user@example.org'), new Map())).code).toBe(DENY)
  })

  it('does not look up relay clients', async () => {
    const dns = resolver()
    const harness = await load([Z.whitelist], dns)
    await connectAndMail(harness, IP.whitelisted, true)
    expect(dns.stats.queries).toBe(0)
  })
})
