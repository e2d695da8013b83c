import { DECLINED, DENY, DENYSOFT, MemoryStore, prefixedStore } from '@postern/core'
import { loadPlugin, loadPluginForTest } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { addToBlacklist, IGNORE_NOTE, LISTED_NOTE } from '../src/index.js'

/** A backend store and the blacklist namespace in it, as tokenbucket and `postern store` see it. */
function stores() {
  const base = new MemoryStore()
  return { base, blacklist: prefixedStore(base, 'ipblacklist:') }
}

describe('ipblacklist', () => {
  it('declares the same core range at run time as in its peerDependencies, and its alias', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(plugin.aliases).toContain('berkeley_ipblacklist')
    expect(pkg.postern).toEqual({ plugin: 'ipblacklist', aliases: ['berkeley_ipblacklist'] })
  })

  it('passes a client that is not listed', async () => {
    const { base } = stores()
    const h = await loadPluginForTest(plugin, { store: base })
    const r = await h.first('connect', h.session({ remoteIp: '192.0.2.1' }))
    expect(r.code).toBe(DECLINED)
    expect(h.logs.some((e) => e.message.includes('192.0.2.1 not listed'))).toBe(true)
  })

  it('refuses a listed client with its reason (default action deny)', async () => {
    const { base, blacklist } = stores()
    await addToBlacklist(blacklist, '192.0.2.9', { ttl: 3_600_000, reason: 'dictionary attack' })
    const h = await loadPluginForTest(plugin, { store: base })
    const s = h.session({ remoteIp: '192.0.2.9' })
    const r = await h.first('connect', s)
    expect(r).toMatchObject({ code: DENY, enhanced: '5.7.1', plugin: 'ipblacklist' })
    expect(r.message.join(' ')).toMatch(
      /^Your IP address 192\.0\.2\.9 is blacklisted until \S+Z: dictionary attack$/,
    )
    expect(s.connection.notes.get(LISTED_NOTE)).toMatchObject({
      ip: '192.0.2.9',
      reason: 'dictionary attack',
    })
  })

  it('defers with action denysoft, and only logs with action log', async () => {
    const { base, blacklist } = stores()
    await addToBlacklist(blacklist, '192.0.2.9', { reason: 'manual' })
    const h = await loadPluginForTest(plugin, { store: base, args: 'action denysoft' })
    const soft = await h.first('connect', h.session({ remoteIp: '192.0.2.9' }))
    expect(soft).toMatchObject({ code: DENYSOFT, enhanced: '4.7.1' })
    expect(soft.message.join(' ')).toBe('Your IP address 192.0.2.9 is blacklisted: manual')

    const logOnly = await loadPluginForTest(plugin, { store: base, args: 'action log' })
    const s = logOnly.session({ remoteIp: '192.0.2.9' })
    expect((await logOnly.first('connect', s)).code).toBe(DECLINED)
    expect(s.connection.notes.flag(LISTED_NOTE)).toBe(true)
    expect(logOnly.logs.some((e) => e.message.startsWith('fail, tolerated'))).toBe(true)
  })

  it('matches an IPv4-mapped or differently spelled IPv6 client', async () => {
    const { base, blacklist } = stores()
    await addToBlacklist(blacklist, '192.0.2.9')
    await addToBlacklist(blacklist, '2001:db8::25')
    const h = await loadPluginForTest(plugin, { store: base })
    expect((await h.first('connect', h.session({ remoteIp: '::ffff:192.0.2.9' }))).code).toBe(DENY)
    expect((await h.first('connect', h.session({ remoteIp: '2001:DB8:0:0::25' }))).code).toBe(DENY)
  })

  it('lets an entry expire', async () => {
    const { base, blacklist } = stores()
    await addToBlacklist(blacklist, '192.0.2.9', { ttl: 30 })
    const h = await loadPluginForTest(plugin, { store: base })
    await new Promise((r) => setTimeout(r, 100))
    expect((await h.first('connect', h.session({ remoteIp: '192.0.2.9' }))).code).toBe(DECLINED)
  })

  it('skips clients ipblacklist_ignore vouched for, and immune ones', async () => {
    const { base, blacklist } = stores()
    await addToBlacklist(blacklist, '192.0.2.9')
    const h = await loadPluginForTest(plugin, { store: base })
    const ignored = h.session({ remoteIp: '192.0.2.9', notes: { [IGNORE_NOTE]: '192.0.2.0/24' } })
    expect((await h.first('connect', ignored)).code).toBe(DECLINED)
    expect(h.logs.some((e) => e.message.includes('ignored (192.0.2.0/24)'))).toBe(true)
    const relay = h.session({ remoteIp: '192.0.2.9', relayClient: true })
    expect((await h.first('connect', relay)).code).toBe(DECLINED)
  })

  it('refuses an unknown action at load', async () => {
    await expect(loadPlugin(plugin, { args: 'action reject' })).rejects.toThrow(/action must be deny/)
  })
})
