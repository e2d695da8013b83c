import {
  DECLINED,
  DENYSOFT,
  definePlugin,
  MemoryStore,
  NOTE,
  ok,
  prefixedStore,
  type Store,
} from '@postern/core'
import {
  loadPlugin,
  loadPluginForTest,
  type PluginHarness,
  type TestSession,
  testAddress,
} from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { GREYLIST_NOTE, parseRecord } from '../src/index.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Try {
  ip?: string
  from?: string
  to?: string
  host?: string
}

/** One transaction: MAIL then RCPT; returns the RCPT result and the session. */
async function attempt(
  h: PluginHarness,
  t: Try = {},
): Promise<{ code: number; message: string; s: TestSession }> {
  const s = h.session({ remoteIp: t.ip ?? '192.0.2.10', ...(t.host ? { remoteHost: t.host } : {}) })
  s.begin({ sender: t.from ?? 'alice@sender.example' })
  s.transaction!.sender = testAddress(t.from ?? 'alice@sender.example')
  const r = await h.first('rcpt', s, testAddress(t.to ?? 'bob@example.com'), new Map())
  return { code: r.code, message: r.message.join(' '), s }
}

async function records(base: Store) {
  const out = new Map<string, ReturnType<typeof parseRecord>>()
  for await (const e of prefixedStore(base, 'greylisting:').scan('')) out.set(e.key, parseRecord(e.value))
  return out
}

describe('greylisting', () => {
  it('declares its core range and the old name as an alias', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(pkg.postern).toEqual({ plugin: 'greylisting', aliases: ['denysoft_greylist'] })
  })

  it('defers an unknown client, telling it when to retry, and counts retries within the black period', async () => {
    const base = new MemoryStore()
    const h = await loadPluginForTest(plugin, { store: base, args: 'black_timeout 3600 grey_timeout 7200' })
    const first = await attempt(h)
    expect(first.code).toBe(DENYSOFT)
    expect(first.message).toMatch(
      /^This mail is temporarily denied \(greylisted\)\. Please try again in (1h|59m\d+s)\.$/,
    )
    const r = await h.first('rcpt', first.s, testAddress('carol@example.com'), new Map())
    expect(r).toMatchObject({ code: DENYSOFT, enhanced: '4.2.0', plugin: 'greylisting' })
    // Counted once per transaction: two recipients of one transaction are one attempt.
    expect([...(await records(base)).values()][0]).toMatchObject({ seen: 1, black: 0, white: 0 })
    expect((await attempt(h)).code).toBe(DENYSOFT) // a retry too soon
    expect([...(await records(base)).values()][0]).toMatchObject({ seen: 1, black: 1 })
    expect(h.logs.some((e) => /^fail, black ip=192\.0\.2\.10, retry in/.test(e.message))).toBe(true)
  })

  it('lets a client through after the black period, then keeps it white', async () => {
    const base = new MemoryStore()
    const h = await loadPluginForTest(plugin, { store: base, args: 'black_timeout 0.2 grey_timeout 600' })
    expect((await attempt(h)).code).toBe(DENYSOFT)
    await sleep(300)
    expect((await attempt(h)).code).toBe(DECLINED) // grey → white
    expect((await attempt(h)).code).toBe(DECLINED) // white
    expect([...(await records(base)).values()][0]).toMatchObject({ white: 2 })
    expect(h.logs.some((e) => e.message.startsWith('pass, grey ip=192.0.2.10'))).toBe(true)
    expect(h.logs.some((e) => e.message.startsWith('pass, white ip=192.0.2.10'))).toBe(true)
  })

  it('keys on the IP only by default: another sender and recipient from a passed client pass', async () => {
    const h = await loadPluginForTest(plugin, { store: new MemoryStore(), args: 'black_timeout 0.1' })
    await attempt(h)
    await sleep(200)
    expect((await attempt(h)).code).toBe(DECLINED)
    expect((await attempt(h, { from: 'zed@other.example', to: 'x@example.com' })).code).toBe(DECLINED)
    expect((await attempt(h, { ip: '192.0.2.11' })).code).toBe(DENYSOFT)
  })

  it('keys on sender and recipient when asked', async () => {
    const base = new MemoryStore()
    const h = await loadPluginForTest(plugin, { store: base, args: 'sender 1 recipient 1 black_timeout 0.1' })
    await attempt(h)
    await sleep(200)
    expect((await attempt(h)).code).toBe(DECLINED)
    expect((await attempt(h, { from: 'other@sender.example' })).code).toBe(DENYSOFT)
    expect((await attempt(h, { to: 'carol@example.com' })).code).toBe(DENYSOFT)
    expect([...(await records(base)).keys()]).toContain(
      'ip=192.0.2.10|from=alice@sender.example|to=bob@example.com',
    )
  })

  it('treats clients of one network as one with ipv4_prefix 24', async () => {
    const h = await loadPluginForTest(plugin, {
      store: new MemoryStore(),
      args: 'black_timeout 0.1 ipv4_prefix 24',
    })
    await attempt(h, { ip: '192.0.2.10' })
    await sleep(200)
    expect((await attempt(h, { ip: '192.0.2.200' })).code).toBe(DECLINED)
  })

  it('starts over when the client retries after the grey window', async () => {
    const h = await loadPluginForTest(plugin, {
      store: new MemoryStore(),
      args: 'black_timeout 0.05 grey_timeout 0.15',
    })
    await attempt(h)
    await sleep(300)
    expect((await attempt(h)).code).toBe(DENYSOFT)
  })

  it('defers at DATA instead with deny_late, and for the null sender', async () => {
    const h = await loadPluginForTest(plugin, { store: new MemoryStore(), args: 'deny_late 1' })
    const late = await attempt(h)
    expect(late.code).toBe(DECLINED)
    late.s.transaction!.addRecipient(testAddress('bob@example.com'))
    expect((await h.first('data', late.s)).code).toBe(DENYSOFT)

    const h2 = await loadPluginForTest(plugin, { store: new MemoryStore() })
    const probe = await attempt(h2, { from: '<>' })
    expect(probe.code).toBe(DECLINED) // a sender-verification probe stops here unharmed
    expect(probe.s.transaction!.notes.has(GREYLIST_NOTE)).toBe(true)
    probe.s.transaction!.addRecipient(testAddress('bob@example.com'))
    const data = await h2.first('data', probe.s)
    expect(data).toMatchObject({ code: DENYSOFT, enhanced: '4.2.0' })
  })

  it('passes relay clients and whitelisted hosts and senders', async () => {
    const h = await loadPluginForTest(plugin, { store: new MemoryStore() })
    const relay = h.session({ remoteIp: '192.0.2.10', relayClient: true })
    relay.begin({ sender: 'a@b.example' })
    expect((await h.first('rcpt', relay, testAddress('x@example.com'), new Map())).code).toBe(DECLINED)
    const wl = h.session({ remoteIp: '192.0.2.10', notes: { whitelisthost: 1 } })
    wl.begin({ sender: 'a@b.example' })
    expect((await h.first('rcpt', wl, testAddress('x@example.com'), new Map())).code).toBe(DECLINED)
    const ws = h.session({ remoteIp: '192.0.2.10' })
    ws.begin({ sender: 'a@b.example', notes: { whitelistsender: 1 } })
    expect((await h.first('rcpt', ws, testAddress('x@example.com'), new Map())).code).toBe(DECLINED)
    expect(h.logs.filter((e) => e.message.startsWith('skip, ')).length).toBe(3)
  })

  it('passes recipients a whitelist marked (whitelistrcpt, per_recipient host and sender), only them', async () => {
    const base = new MemoryStore()
    const h = await loadPluginForTest(plugin, { store: base })
    const s = h.session({ remoteIp: '192.0.2.10' })
    s.begin({ sender: 'a@b.example' })
    // The notes whitelist / whitelist_soft set: whitelistrcpt, and per_recipient host and sender.
    for (const note of [NOTE.whitelistRcpt, NOTE.whitelistHost, NOTE.whitelistSender]) {
      const rcpt = testAddress(`${note}@example.com`)
      rcpt.notes.set(note, 1)
      expect((await h.first('rcpt', s, rcpt, new Map())).code, note).toBe(DECLINED)
    }
    expect((await records(base)).size).toBe(0) // no triplet was looked at for them
    expect((await h.first('rcpt', s, testAddress('x@example.com'), new Map())).code).toBe(DENYSOFT)
    expect(h.logs.some((e) => e.message === 'skip, host whitelisted by this recipient')).toBe(true)
  })

  it('with deny_late, DATA passes when every recipient is whitelisted for itself', async () => {
    const h = await loadPluginForTest(plugin, { store: new MemoryStore(), args: 'deny_late 1' })
    const { s } = await attempt(h, { from: 'a@b.example' })
    expect(s.transaction!.notes.has(GREYLIST_NOTE)).toBe(true)
    // A later plugin whitelisted the recipient by its per-recipient host list.
    const rcpt = testAddress('bob@example.com')
    rcpt.notes.set(NOTE.whitelistHost, 1)
    s.transaction!.addRecipient(rcpt)
    expect((await h.first('data', s)).code).toBe(DECLINED)
  })

  it('honours the exclusion lists: client networks, host names, senders, recipients', async () => {
    const h = await loadPluginForTest(plugin, {
      store: new MemoryStore(),
      config: {
        greylist_exclude_ip: ['198.51.100.0/24', '2001:db8::/32'],
        greylist_exclude_rdns: ['google.com'],
        greylist_exclude_senders: ['@bank.example', 'boss@corp.example'],
        greylist_exclude_recipients: ['postmaster@example.com', 'abuse.example.com'],
      },
    })
    expect((await attempt(h, { ip: '198.51.100.9' })).code).toBe(DECLINED)
    expect((await attempt(h, { ip: '2001:db8::9' })).code).toBe(DECLINED)
    expect((await attempt(h, { ip: '203.0.113.1', host: 'mail-x.google.com' })).code).toBe(DECLINED)
    expect((await attempt(h, { ip: '203.0.113.2', from: 'alerts@bank.example' })).code).toBe(DECLINED)
    expect((await attempt(h, { ip: '203.0.113.3', from: 'boss@corp.example' })).code).toBe(DECLINED)
    expect((await attempt(h, { ip: '203.0.113.4', to: 'postmaster@example.com' })).code).toBe(DECLINED)
    expect((await attempt(h, { ip: '203.0.113.5', to: 'x@sub.abuse.example.com' })).code).toBe(DECLINED)
    expect((await attempt(h, { ip: '203.0.113.6', from: 'x@notbank.example' })).code).toBe(DENYSOFT)
  })

  it('with per_recipient 1, greylists only recipients that opted in', async () => {
    const h = await loadPluginForTest(plugin, {
      store: new MemoryStore(),
      args: 'per_recipient 1 recipient 1',
      config: { greylist_recipients: ['careful@example.com', '@strict.example'] },
    })
    expect((await attempt(h, { to: 'careful@example.com' })).code).toBe(DENYSOFT)
    expect((await attempt(h, { to: 'anyone@strict.example' })).code).toBe(DENYSOFT)
    expect((await attempt(h, { to: 'relaxed@example.com' })).code).toBe(DECLINED)
  })

  it('with per_recipient 1, reads per-user settings from user_config (opt-in with mode off globally)', async () => {
    const prefs = definePlugin({
      name: 'prefs',
      core: '^1.0.0',
      hooks: {
        user_config: (_ctx, address, key) =>
          key === 'denysoft_greylist' && address.user === 'greyme' ? ok(['mode denysoft']) : undefined,
      },
    })
    const h = await loadPluginForTest(plugin, {
      store: new MemoryStore(),
      before: [{ plugin: prefs }],
      args: 'per_recipient 1 mode off',
    })
    expect((await attempt(h, { to: 'greyme@example.com' })).code).toBe(DENYSOFT)
    expect((await attempt(h, { ip: '192.0.2.99', to: 'other@example.com' })).code).toBe(DECLINED)
  })

  it('only logs with reject 0 (to seed the database first)', async () => {
    const base = new MemoryStore()
    const h = await loadPluginForTest(plugin, { store: base, args: 'reject 0' })
    expect((await attempt(h)).code).toBe(DECLINED)
    expect((await records(base)).size).toBe(1)
    expect(h.logs.some((e) => e.message.startsWith('fail, tolerated, new'))).toBe(true)
  })

  it('reads settings from config/denysoft_greylist; the config/plugins line wins', async () => {
    const h = await loadPluginForTest(plugin, {
      store: new MemoryStore(),
      args: 'black_timeout 0.1',
      config: { denysoft_greylist: ['black_timeout 3600', 'sender 1'] },
    })
    await attempt(h)
    await sleep(200)
    expect((await attempt(h)).code).toBe(DECLINED)
    expect((await attempt(h, { from: 'new@sender.example' })).code).toBe(DENYSOFT) // sender 1 from the file
  })

  it('refuses bad arguments at load', async () => {
    await expect(loadPlugin(plugin, { args: 'remote_ip 0' })).rejects.toThrow(/enable at least one/)
    await expect(loadPlugin(plugin, { args: 'store_down maybe' })).rejects.toThrow(/store_down must be/)
    await expect(loadPlugin(plugin, { args: 'black_timeout soon' })).rejects.toThrow(/black_timeout/)
    await expect(loadPlugin(plugin, { args: 'black_timeout 7200 grey_timeout 3600' })).rejects.toThrow(
      /grey_timeout/,
    )
  })
})
