import { DECLINED, DENY, MemoryStore, prefixedStore } from '@postern/core'
import ipblacklist, { addToBlacklist } from '@postern/ipblacklist'
import { loadPlugin, loadPluginForTest } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { CidrSet, IGNORE_NOTE, parseCidr } from '../src/index.js'

const entry = (t: string) => {
  const e = parseCidr(t)
  if (typeof e === 'string') throw new Error(e)
  return e
}

describe('CidrSet', () => {
  it('matches addresses and networks of both families, and says which entry', () => {
    const set = new CidrSet(['192.0.2.0/24', '198.51.100.7', '2001:db8::/32', '10.0.0.0/8'].map(entry))
    expect(set.match('192.0.2.200')?.text).toBe('192.0.2.0/24')
    expect(set.match('::ffff:192.0.2.1')?.text).toBe('192.0.2.0/24')
    expect(set.match('198.51.100.7')?.text).toBe('198.51.100.7')
    expect(set.match('198.51.100.8')).toBeUndefined()
    expect(set.match('2001:db8:ffff::1')?.text).toBe('2001:db8::/32')
    expect(set.match('2001:db9::1')).toBeUndefined()
    expect(set.match('10.200.1.1')?.text).toBe('10.0.0.0/8')
    expect(set.match('not an ip')).toBeUndefined()
  })

  it('rejects what is not an address or network', () => {
    for (const bad of ['192.0.2.0/33', '2001:db8::/129', 'example.com', '192.0.2.0/24/1', '192.0.2.0/x'])
      expect(typeof parseCidr(bad)).toBe('string')
  })
})

describe('ipblacklist_ignore', () => {
  it('declares its core range and qpsmtpd alias', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(pkg.postern).toEqual({ plugin: 'ipblacklist_ignore', aliases: ['berkeley_ipblacklist_ignore'] })
  })

  it('sets the note for a listed network, from the config file and from arguments', async () => {
    const h = await loadPluginForTest(plugin, {
      args: '203.0.113.0/28',
      config: { ipblacklist_ignore: ['# our relays', '192.0.2.0/24  office', '2001:db8::/48'] },
    })
    const office = h.session({ remoteIp: '192.0.2.77' })
    await h.first('connect', office)
    expect(office.connection.notes.get(IGNORE_NOTE)).toBe('192.0.2.0/24')
    const arg = h.session({ remoteIp: '203.0.113.3' })
    await h.first('connect', arg)
    expect(arg.connection.notes.get(IGNORE_NOTE)).toBe('203.0.113.0/28')
    const other = h.session({ remoteIp: '198.51.100.1' })
    await h.first('connect', other)
    expect(other.connection.notes.has(IGNORE_NOTE)).toBe(false)
  })

  it('refuses a bad line at load with file and line', async () => {
    await expect(
      loadPlugin(plugin, { config: { ipblacklist_ignore: ['192.0.2.0/24', '192.0.2.0/99'] } }),
    ).rejects.toThrow(/ipblacklist_ignore:2: bad prefix length \/99/)
  })

  it('makes ipblacklist pass a listed client in an ignored network, even when listed after it', async () => {
    const base = new MemoryStore()
    await addToBlacklist(prefixedStore(base, 'ipblacklist:'), '192.0.2.9', { reason: 'listed' })
    await addToBlacklist(prefixedStore(base, 'ipblacklist:'), '198.51.100.9', { reason: 'listed' })
    // config/plugins: ipblacklist first, then ipblacklist_ignore; the `pre` order still runs it first.
    const h = await loadPluginForTest(plugin, {
      before: [{ plugin: ipblacklist }],
      config: { ipblacklist_ignore: '192.0.2.0/24\n' },
      store: base,
    })
    expect((await h.first('connect', h.session({ remoteIp: '192.0.2.9' }))).code).toBe(DECLINED)
    expect((await h.first('connect', h.session({ remoteIp: '198.51.100.9' }))).code).toBe(DENY)
  })
})
