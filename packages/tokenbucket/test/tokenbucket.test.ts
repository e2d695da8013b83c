import {
  DECLINED,
  DENY,
  DENYSOFT_DISCONNECT,
  definePlugin,
  deny,
  MemoryStore,
  OK,
  ok,
  prefixedStore,
  type Store,
} from '@postern/core'
import ipblacklist, { parseEntry } from '@postern/ipblacklist'
import ignore from '@postern/ipblacklist-ignore'
import {
  loadPlugin,
  loadPluginForTest,
  type PluginHarness,
  type TestSession,
  testAddress,
} from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { BUCKET_NOTE } from '../src/index.js'

/** Refuses recipients at `unknown.example`, accepts the rest: a recipient check to count. */
const mailboxes = definePlugin({
  name: 'mailboxes',
  core: '^1.0.0',
  hooks: {
    rcpt: (_ctx, rcpt) => (rcpt.host === 'unknown.example' ? deny('No such user', '5.1.1') : ok()),
  },
})

async function rcpt(h: PluginHarness, s: TestSession, to: string) {
  return h.first('rcpt', s, testAddress(to), new Map())
}

async function listed(store: Store) {
  const out = new Map<string, string>()
  for await (const e of prefixedStore(store, 'ipblacklist:').scan('')) out.set(e.key, e.value)
  return out
}

describe('tokenbucket', () => {
  it('declares its core range and the qpsmtpd alias', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(pkg.postern.aliases).toContain('berkeley_tokenbucketadd')
  })

  it('blacklists an IP whose refused recipients go over the rate, and drops its session', async () => {
    const base = new MemoryStore()
    const h = await loadPluginForTest(plugin, {
      before: [{ plugin: mailboxes }],
      args: 'rate 3 period 1h blacklist_ttl 2h',
      store: base,
    })
    const s = h.session({ remoteIp: '192.0.2.50' })
    s.begin({ sender: 'x@spammer.example' })
    for (let i = 0; i < 3; i++) expect((await rcpt(h, s, `guess${i}@unknown.example`)).code).toBe(DENY)
    expect((await listed(base)).size).toBe(0) // the burst of 3 is allowed
    expect((await rcpt(h, s, 'guess3@unknown.example')).code).toBe(DENY)
    const entries = await listed(base)
    expect([...entries.keys()]).toEqual(['192.0.2.50'])
    const entry = parseEntry(entries.get('192.0.2.50')!)
    expect(entry.reason).toBe('tokenbucket: permanently refused rcpt faster than 3 per 1h')
    expect(entry.until).toBeGreaterThan(Date.now() + 7_000_000)
    expect(s.connection.notes.get(BUCKET_NOTE)).toMatchObject({ blacklisted: true })
    // The same session's next recipient, even a good one, is refused and the client dropped.
    const next = await rcpt(h, s, 'real@ok.example')
    expect(next).toMatchObject({ code: DENYSOFT_DISCONNECT, enhanced: '4.7.1', plugin: 'tokenbucket' })
    expect(h.logs.some((e) => e.message.startsWith('fail, 192.0.2.50 permanently refused rcpt'))).toBe(true)
  })

  it('counts per IP and across sessions, and leaves accepted recipients alone', async () => {
    const base = new MemoryStore()
    const h = await loadPluginForTest(plugin, {
      before: [{ plugin: mailboxes }],
      args: 'rate 2 period 1h',
      store: base,
    })
    for (let i = 0; i < 2; i++) {
      const s = h.session({ remoteIp: '192.0.2.60' })
      s.begin()
      expect((await rcpt(h, s, `a${i}@unknown.example`)).code).toBe(DENY)
      expect((await rcpt(h, s, `ok${i}@ok.example`)).code).toBe(OK)
    }
    const other = h.session({ remoteIp: '192.0.2.61' })
    other.begin()
    await rcpt(h, other, 'x@unknown.example')
    expect((await listed(base)).size).toBe(0)
    const third = h.session({ remoteIp: '192.0.2.60' })
    third.begin()
    await rcpt(h, third, 'y@unknown.example')
    expect([...(await listed(base)).keys()]).toEqual(['192.0.2.60'])
  })

  it('writes entries ipblacklist reads: the next connection from that IP is refused', async () => {
    const base = new MemoryStore()
    const tb = await loadPluginForTest(plugin, {
      before: [{ plugin: mailboxes }],
      args: 'rate 1 burst 1',
      store: base,
    })
    const s = tb.session({ remoteIp: '2001:db8::bad' })
    s.begin()
    await rcpt(tb, s, 'a@unknown.example')
    await rcpt(tb, s, 'b@unknown.example')
    // Another node (or a restart) running ipblacklist against the same store:
    const bl = await loadPluginForTest(ipblacklist, { store: base })
    const r = await bl.first('connect', bl.session({ remoteIp: '2001:DB8:0::BAD' }))
    expect(r.code).toBe(DENY)
    expect(r.message.join(' ')).toContain('tokenbucket: permanently refused rcpt faster than 1 per 1m')
  })

  it('does not count clients ipblacklist_ignore vouches for, nor relay clients', async () => {
    const base = new MemoryStore()
    const h = await loadPluginForTest(plugin, {
      before: [{ plugin: ignore }, { plugin: mailboxes }],
      args: 'rate 1 burst 1',
      config: { ipblacklist_ignore: '192.0.2.0/24\n' },
      store: base,
    })
    for (const init of [{ remoteIp: '192.0.2.70' }, { remoteIp: '198.51.100.70', relayClient: true }]) {
      const s = h.session(init)
      await h.first('connect', s)
      s.begin()
      for (let i = 0; i < 5; i++) await rcpt(h, s, `g${i}@unknown.example`)
    }
    expect((await listed(base)).size).toBe(0)
  })

  it('with drop 0 the session goes on; its own refusals never count', async () => {
    const base = new MemoryStore()
    const h = await loadPluginForTest(plugin, {
      before: [{ plugin: mailboxes }],
      args: 'rate 1 burst 1 drop 0',
      store: base,
    })
    const s = h.session({ remoteIp: '192.0.2.80' })
    s.begin()
    await rcpt(h, s, 'a@unknown.example')
    await rcpt(h, s, 'b@unknown.example')
    expect((await rcpt(h, s, 'c@ok.example')).code).toBe(OK)
    expect((await listed(base)).size).toBe(1)
  })

  it('refuses bad arguments at load', async () => {
    await expect(loadPlugin(plugin, { args: 'rate 0' })).rejects.toThrow(/rate must be/)
    await expect(loadPlugin(plugin, { args: 'period soon' })).rejects.toThrow(/period: not a duration/)
    await expect(loadPlugin(plugin, { args: 'events ,' })).rejects.toThrow(/events/)
  })

  it('a session with nothing refused is not touched', async () => {
    const h = await loadPluginForTest(plugin, { before: [{ plugin: mailboxes }] })
    const s = h.session()
    s.begin()
    expect((await rcpt(h, s, 'x@ok.example')).code).toBe(OK)
    expect((await h.first('mail', s, testAddress('a@b.example'), new Map())).code).toBe(DECLINED)
    expect(s.connection.notes.has(BUCKET_NOTE)).toBe(false)
  })
})
