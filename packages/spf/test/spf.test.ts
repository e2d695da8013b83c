import path from 'node:path'
import { DECLINED, DENY, DENYSOFT, type HookResult, NOTE } from '@postern/core'
import { TEST_DNS, useTestDns } from '@postern/test-peers'
import {
  loadInstalled,
  loadPlugin,
  loadPluginForTest,
  type PluginHarness,
  type TestSession,
  testAddress,
} from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { AUTH_RESULTS_NOTE, SPF_NOTE, type SpfOutcome } from '../src/index.js'

const { peer, resolver } = await useTestDns('spf')
const { ip: IP, domain: D } = TEST_DNS

const text = (result: HookResult): string => result.message.join('\n')

function load(args = '', dns = resolver()) {
  return loadPluginForTest(plugin, { args, dns, config: { me: 'mx.postern.test' } })
}

interface Send {
  ip: string
  sender: string
  helo?: string
  rcpt?: string
  relayClient?: boolean
  session?: TestSession
}

/** helo → mail → rcpt → data_post_headers, as the engine runs them. */
async function send(harness: PluginHarness, o: Send) {
  const s =
    o.session ?? harness.session({ remoteIp: o.ip, helloHost: o.helo, relayClient: o.relayClient ?? false })
  if (!o.session && o.helo) await harness.first('ehlo', s, o.helo)
  const tx = s.begin({ sender: o.sender, message: 'Subject: hi\n\nbody\n' })
  await harness.first('mail', s, tx.sender!, new Map())
  const result = await harness.first('rcpt', s, testAddress(o.rcpt ?? 'user@example.org'), new Map())
  await harness.notify('data_post_headers', s)
  const outcome = tx.notes.value<SpfOutcome>(SPF_NOTE)
  return { s, tx, result, outcome, ar: s.connection.notes.value<string[]>(AUTH_RESULTS_NOTE) }
}

describe('spf package', () => {
  it('is found by its qpsmtpd names through the installed package (the built dist)', async () => {
    const h = await loadInstalled(path.resolve(import.meta.dirname, '..'), {
      config: { plugins: 'sender_permitted_from reject 3\n' },
    })
    try {
      expect(h.host.plugins.map((p) => [p.instance, p.name, p.packageName])).toEqual([
        ['sender_permitted_from', 'spf', '@postern/spf'],
      ])
    } finally {
      await h.close()
    }
  })

  it('declares its core range, name and alias sender_permitted_from', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(pkg.postern).toEqual({ plugin: 'spf', aliases: ['sender_permitted_from'] })
    expect(plugin.aliases).toEqual(['sender_permitted_from'])
    expect(pkg.dependencies.mailauth).toMatch(/^~4\.13\./)
  })

  it('refuses a bad reject level at load', async () => {
    await expect(loadPlugin(plugin, { args: 'reject 9' })).rejects.toThrow(
      /reject must be a level from 0 to 6/,
    )
  })
})

describe.skipIf(!peer)('spf against dnsmasq', () => {
  it('passes an authorised client: notes, Authentication-Results entry, Received-SPF header', async () => {
    const harness = await load('reject 3')
    const r = await send(harness, { ip: IP.server, sender: `alice@${D.mx}` })
    expect(r.result.code).toBe(DECLINED)
    expect(r.outcome).toMatchObject({ result: 'pass', scope: 'mailfrom', domain: D.mx })
    expect(r.tx.notes.get('spf_pass_host')).toBe(D.mx)
    expect(r.ar).toEqual([`spf=pass smtp.mailfrom=${D.mx}`])
    const header = r.tx.header!.get('Received-SPF')
    expect(header).toMatch(
      /^pass \(domain of alice@example\.com designates 192\.0\.2\.25 as permitted sender\) /,
    )
    expect(header).toContain(
      'client-ip=192.0.2.25; envelope-from=alice@example.com; identity=mailfrom; receiver=mx.postern.test;',
    )
  })

  it('follows include:', async () => {
    const harness = await load('reject 3')
    expect((await send(harness, { ip: IP.server, sender: `a@${D.spfInclude}` })).outcome?.result).toBe('pass')
  })

  it('applies the reject levels to fail: 1 annotates, 2 defers, 3 refuses (5.7.23)', async () => {
    const sender = `mallory@${D.mx}`
    const one = await load('reject 1')
    const annotated = await send(one, { ip: IP.foreign, sender })
    expect(annotated.result.code).toBe(DECLINED)
    expect(annotated.ar).toEqual([`spf=fail smtp.mailfrom=${D.mx}`])
    expect(annotated.tx.header!.get('Received-SPF')).toMatch(/^fail /)
    await one.close()
    const two = await load('reject 2')
    expect((await send(two, { ip: IP.foreign, sender })).result).toMatchObject({
      code: DENYSOFT,
      enhanced: '4.7.23',
    })
    await two.close()
    const three = await load('reject 3')
    const refused = await send(three, { ip: IP.foreign, sender })
    expect(refused.result).toMatchObject({ code: DENY, enhanced: '5.7.23', plugin: 'spf' })
    expect(text(refused.result)).toBe(
      `SPF - forgery: domain of ${sender} does not designate ${IP.foreign} as permitted sender`,
    )
  })

  it('softfail: deferred at 3, refused at 4; neutral refused at 5; none at 6', async () => {
    const at = async (level: number, sender: string) => {
      const harness = await load(`reject ${level}`)
      const { result, outcome } = await send(harness, { ip: IP.foreign, sender })
      await harness.close()
      return { code: result.code, spf: outcome?.result }
    }
    expect(await at(3, `a@${D.spfSoftfail}`)).toEqual({ code: DENYSOFT, spf: 'softfail' })
    expect(await at(4, `a@${D.spfSoftfail}`)).toEqual({ code: DENY, spf: 'softfail' })
    expect(await at(4, `a@${D.spfNeutral}`)).toEqual({ code: DECLINED, spf: 'neutral' })
    expect(await at(5, `a@${D.spfNeutral}`)).toEqual({ code: DENY, spf: 'neutral' })
    expect(await at(5, `a@${D.aOnly}`)).toEqual({ code: DECLINED, spf: 'none' })
    expect(await at(6, `a@${D.aOnly}`)).toEqual({ code: DENY, spf: 'none' })
    expect(await at(3, `a@${D.spfPermerror}`)).toEqual({ code: DECLINED, spf: 'permerror' })
    expect(await at(4, `a@${D.spfPermerror}`)).toEqual({ code: DENYSOFT, spf: 'permerror' })
    expect(await at(6, `a@${D.spfPermerror}`)).toEqual({ code: DENY, spf: 'permerror' })
  })

  it('checks the HELO identity: a null sender is judged by it', async () => {
    const harness = await load('reject 3')
    const ok = await send(harness, { ip: IP.helo, sender: '<>', helo: D.spfHelo })
    expect(ok.result.code).toBe(DECLINED)
    expect(ok.outcome).toMatchObject({ result: 'pass', scope: 'helo', domain: D.spfHelo })
    expect(ok.ar).toEqual([`spf=pass smtp.helo=${D.spfHelo}`])
    expect(ok.tx.header!.get('Received-SPF')).toContain('identity=helo')
    const forged = await send(harness, { ip: IP.foreign, sender: '<>', helo: D.spfHelo })
    expect(forged.result).toMatchObject({ code: DENY, enhanced: '5.7.23' })
  })

  it('reports both identities in Authentication-Results, and drops the MAIL FROM one on RSET', async () => {
    const harness = await load('reject 3')
    const s = harness.session({
      remoteIp: IP.helo,
      helloHost: D.spfHelo,
      notes: { [AUTH_RESULTS_NOTE]: ['dkim=pass header.d=example.org'] },
    })
    await harness.first('ehlo', s, D.spfHelo)
    const first = await send(harness, { ip: IP.helo, sender: `a@${D.mx}`, session: s })
    expect(first.ar).toEqual([
      'dkim=pass header.d=example.org',
      `spf=pass smtp.helo=${D.spfHelo}`,
      `spf=pass smtp.mailfrom=${D.mx}`,
    ])
    await harness.notify('reset_transaction', s)
    expect(s.connection.notes.get(AUTH_RESULTS_NOTE)).toEqual([
      'dkim=pass header.d=example.org',
      `spf=pass smtp.helo=${D.spfHelo}`,
    ])
    const second = await send(harness, { ip: IP.helo, sender: `a@${D.spfSoftfail}`, session: s })
    expect(second.ar).toEqual([
      'dkim=pass header.d=example.org',
      `spf=pass smtp.helo=${D.spfHelo}`,
      `spf=softfail smtp.mailfrom=${D.spfSoftfail}`,
    ])
  })

  it('lets postmaster and relay clients through', async () => {
    const harness = await load('reject 6')
    expect(
      (await send(harness, { ip: IP.foreign, sender: `a@${D.mx}`, rcpt: 'postmaster@example.org' })).result
        .code,
    ).toBe(DECLINED)
    const relay = await send(harness, { ip: IP.foreign, sender: `a@${D.mx}`, relayClient: true })
    expect(relay.result.code).toBe(DECLINED)
    expect(relay.outcome).toBeUndefined()
    expect(relay.tx.header!.has('Received-SPF')).toBe(false)
  })

  it('lets recipients a whitelist marked through an SPF fail, and refuses the others', async () => {
    const harness = await load('reject 3')
    const s = harness.session({ remoteIp: IP.foreign })
    const tx = s.begin({ sender: `mallory@${D.mx}`, message: 'Subject: hi\n\nbody\n' })
    await harness.first('mail', s, tx.sender!, new Map())
    // The notes whitelist / whitelist_soft set: whitelistrcpt, and per_recipient host and sender.
    for (const note of [NOTE.whitelistRcpt, NOTE.whitelistHost, NOTE.whitelistSender]) {
      const rcpt = testAddress(`${note}@example.org`)
      rcpt.notes.set(note, 1)
      expect((await harness.first('rcpt', s, rcpt, new Map())).code, note).toBe(DECLINED)
    }
    expect((await harness.first('rcpt', s, testAddress('user@example.org'), new Map())).code).toBe(DENY)
  })

  it("accepts qpsmtpd's spf_deny argument", async () => {
    const harness = await load('spf_deny 1')
    expect((await send(harness, { ip: IP.foreign, sender: `a@${D.mx}` })).result.code).toBe(DENY)
  })

  describe('DNS down: temperror within the timeout', () => {
    it('an include that SERVFAILs: annotated at level 1, deferred (4.7.24) from level 2', async () => {
      const one = await load('reject 1', resolver(300))
      const r = await send(one, { ip: IP.server, sender: `a@${D.spfTemperror}` })
      expect(r.result.code).toBe(DECLINED)
      expect(r.outcome?.result).toBe('temperror')
      await one.close()
      const two = await load('reject 2', resolver(300))
      expect((await send(two, { ip: IP.server, sender: `a@${D.spfTemperror}` })).result).toMatchObject({
        code: DENYSOFT,
        enhanced: '4.7.24',
      })
    })

    it('a server that never answers', async () => {
      const harness = await load('reject 3', resolver(300, peer!.blackHole))
      const r = await send(harness, { ip: IP.server, sender: `a@${D.mx}` })
      expect(r.outcome?.result).toBe('temperror')
      expect(r.result).toMatchObject({ code: DENYSOFT, enhanced: '4.7.24' })
    })

    it("the plugin's own deadline (timeout argument) bounds a slow evaluation", async () => {
      const harness = await load('reject 3 timeout 1', resolver(5000, peer!.blackHole))
      const r = await send(harness, { ip: IP.server, sender: `a@${D.mx}` })
      expect(r.outcome).toMatchObject({ result: 'temperror', comment: 'SPF check timed out after 1000 ms' })
      expect(r.result.code).toBe(DENYSOFT)
    })
  })
})
