import { DECLINED, DENY, DENYSOFT, type HookResult, NOTE } from '@postern/core'
import { TEST_DNS, useTestDns } from '@postern/test-peers'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const { peer, resolver } = await useTestDns('rhsbl')
const { ip: IP, zone: Z, domain: D } = TEST_DNS

const text = (result: HookResult): string => result.message.join('\n')

function load(zones: string[], args = '', dns = resolver()) {
  return loadPluginForTest(plugin, { args, dns, config: { rhsbl_zones: zones } })
}

/** mail → rcpt as the engine runs them. */
async function send(
  harness: PluginHarness,
  sender: string,
  opts: {
    rcpt?: string
    helo?: string
    notes?: Record<string, unknown>
    txNotes?: Record<string, unknown>
  } = {},
) {
  const s = harness.session({
    remoteIp: IP.unlisted,
    ...(opts.helo ? { helloHost: opts.helo } : {}),
    ...(opts.notes ? { notes: opts.notes } : {}),
  })
  const tx = s.begin({ sender, ...(opts.txNotes ? { notes: opts.txNotes } : {}) })
  await harness.first('mail', s, tx.sender!, new Map())
  const result = await harness.first('rcpt', s, testAddress(opts.rcpt ?? 'user@example.org'), new Map())
  return { s, tx, result }
}

describe('rhsbl package', () => {
  it('declares the same core range at run time as in its peerDependencies', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(pkg.postern.plugin).toBe(plugin.name)
  })
})

describe.skipIf(!peer)('rhsbl against dnsmasq', () => {
  it('refuses a listed sender domain at RCPT with the TXT text and notes it', async () => {
    const harness = await load([Z.rhsbl])
    const { tx, result } = await send(harness, `bob@${D.rhsListed}`)
    expect(result).toMatchObject({ code: DENY, enhanced: '5.7.1', plugin: 'rhsbl' })
    expect(text(result)).toBe(`Domain ${D.rhsListed} is listed`)
    expect(tx.notes.get('rhsbl')).toBe(text(result))
  })

  it("uses qpsmtpd's predicate message, or a message with placeholders", async () => {
    const old = await load([`${Z.rhsbl} does not accept bounces.`])
    expect(text((await send(old, `bob@${D.rhsListed}`)).result)).toBe(
      `Mail from ${D.rhsListed} rejected because it does not accept bounces.`,
    )
    await old.close()
    const own = await load([`${Z.rhsbl} %DOMAIN% is on %ZONE%`])
    expect(text((await send(own, `bob@${D.rhsListedAOnly}`)).result)).toBe(
      `${D.rhsListedAOnly} is on ${Z.rhsbl}`,
    )
  })

  it('filters by return code', async () => {
    const harness = await load([`${Z.rhsbl} 127.0.0.3`])
    expect((await send(harness, `bob@${D.rhsListed}`)).result.code).toBe(DECLINED)
    expect((await send(harness, `bob@${D.rhsListedAOnly}`)).result.code).toBe(DENY)
  })

  it('passes clean senders, the null sender and address literals', async () => {
    const harness = await load([Z.rhsbl])
    expect((await send(harness, `alice@${D.rhsClean}`)).result.code).toBe(DECLINED)
    expect((await send(harness, '<>')).result.code).toBe(DECLINED)
    expect((await send(harness, 'alice@[192.0.2.1]')).result.code).toBe(DECLINED)
  })

  it('checks the HELO name only with check_helo 1', async () => {
    const off = await load([Z.rhsbl])
    expect((await send(off, `alice@${D.rhsClean}`, { helo: D.rhsListed })).result.code).toBe(DECLINED)
    await off.close()
    const on = await load([Z.rhsbl], 'check_helo 1')
    const { result } = await send(on, `alice@${D.rhsClean}`, { helo: D.rhsListedAOnly })
    expect(result.code).toBe(DENY)
    expect(text(result)).toBe(`Mail from HELO ${D.rhsListedAOnly} rejected: listed in ${Z.rhsbl}`)
  })

  it('lets postmaster, whitelisted hosts and whitelisted senders through', async () => {
    const harness = await load([Z.rhsbl])
    expect((await send(harness, `bob@${D.rhsListed}`, { rcpt: 'postmaster@example.org' })).result.code).toBe(
      DECLINED,
    )
    const host = await send(harness, `bob@${D.rhsListed}`, { notes: { [NOTE.whitelistHost]: 'yes' } })
    expect(host.result.code).toBe(DECLINED)
    const sender = await send(harness, `bob@${D.rhsListed}`, { txNotes: { [NOTE.whitelistSender]: 1 } })
    expect(sender.result.code).toBe(DECLINED)
  })

  it('lets recipients a whitelist marked through, and refuses the others', async () => {
    const harness = await load([Z.rhsbl])
    const s = harness.session({ remoteIp: IP.unlisted })
    const tx = s.begin({ sender: `bob@${D.rhsListed}` })
    await harness.first('mail', s, tx.sender!, new Map())
    // The notes whitelist / whitelist_soft set: whitelistrcpt, and per_recipient host and sender.
    for (const note of [NOTE.whitelistRcpt, NOTE.whitelistHost, NOTE.whitelistSender]) {
      const rcpt = testAddress(`${note}@example.org`)
      rcpt.notes.set(note, 1)
      expect((await harness.first('rcpt', s, rcpt, new Map())).code, note).toBe(DECLINED)
    }
    expect((await harness.first('rcpt', s, testAddress('user@example.org'), new Map())).code).toBe(DENY)
  })

  it('honours reject_type disconnect', async () => {
    const harness = await load([Z.rhsbl], 'reject_type disconnect')
    expect((await send(harness, `bob@${D.rhsListed}`)).result.code).toBe(903)
  })

  describe('DNS down', () => {
    it('passes by default on SERVFAIL and timeout, logging it', async () => {
      const harness = await load([Z.servfail, Z.timeout], '', resolver(300))
      expect((await send(harness, `bob@${D.rhsListed}`)).result.code).toBe(DECLINED)
      expect(harness.logs.some((e) => /passing \(dns_error pass\)/.test(e.message))).toBe(true)
    })

    it('skips a zone after zone_failures failed senders in a row, and keeps asking the zone that answers', async () => {
      const servfail = peer!.stubs.servfail
      const harness = await load([Z.servfail, Z.rhsbl], 'zone_failures 2 zone_cooldown 60', resolver(300))
      // Per sender (each a new domain: the resolver caches a failure per name): did the SERVFAIL
      // server hear of it?
      const heard: boolean[] = []
      for (let n = 1; n <= 4; n++) {
        const before = servfail.queries
        expect((await send(harness, `bob@sender${n}.example.org`)).result.code).toBe(DECLINED)
        heard.push(servfail.queries > before)
      }
      expect(heard).toEqual([true, true, false, false])
      expect(
        harness.logs.filter((e) => /broken\.test: 2 lookups in a row failed/.test(e.message)),
      ).toHaveLength(1)
      expect(
        harness.logs.some((e) => /broken\.test skipped \(not answering\); passing/.test(e.message)),
      ).toBe(true)
      // The listing in rhs.test still refuses while broken.test is skipped.
      const before = servfail.queries
      expect((await send(harness, `bob@${D.rhsListed}`)).result.code).toBe(DENY)
      expect(servfail.queries).toBe(before)
    })

    it('defers with 451 4.4.3 with dns_error defer', async () => {
      const harness = await load([Z.rhsbl], 'dns_error defer', resolver(300, peer!.blackHole))
      expect((await send(harness, `bob@${D.rhsClean}`)).result).toMatchObject({
        code: DENYSOFT,
        enhanced: '4.4.3',
      })
    })
  })
})

describe('rhsbl config', () => {
  it('refuses a bad zone line at load, naming file and line', async () => {
    await expect(loadPlugin(plugin, { config: { rhsbl_zones: ['ok.test', '-bad-'] } })).rejects.toThrow(
      /rhsbl_zones:2: bad DNS zone/,
    )
    await expect(loadPlugin(plugin, { args: 'zone_failures -1' })).rejects.toThrow(/zone_failures must be/)
  })
})
