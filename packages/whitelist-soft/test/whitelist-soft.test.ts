import { DECLINED, DENY, definePlugin, NOTE } from '@postern/core'
import { loadPluginForTest, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const CONFIG = {
  whitelisthosts: ['192.0.2.7'],
  whitelisthelo: ['trusted.example'],
  whitelistsenders: ['boss@example.org'],
  whitelistrcpt: ['abuse@example.com'],
}

/** A later filter that honours the notes the way Postern's list plugins do. */
const filter = definePlugin({
  name: 'test_filter',
  core: '^1.0.0',
  hooks: {
    rcpt(ctx, rcpt) {
      if (ctx.isImmune() || rcpt.notes.flag(NOTE.whitelistRcpt)) return
      return { code: DENY, message: 'filtered' }
    },
  },
})

describe('whitelist_soft', () => {
  it('is whitelist_soft', () => {
    expect(pkg.postern).toEqual({ plugin: 'whitelist_soft' })
    expect(plugin.name).toBe('whitelist_soft')
  })

  it('sets the same notes as whitelist but never answers', async () => {
    const h = await loadPluginForTest(plugin, { config: CONFIG })
    const s = h.session({ remoteIp: '192.0.2.7' })
    expect((await h.first('connect', s)).code).toBe(DECLINED)
    expect(s.connection.notes.get(NOTE.whitelistHost)).toBe(1)
    expect((await h.first('helo', s, 'trusted.example')).code).toBe(DECLINED)
    expect(s.connection.notes.get('whitelisthelo')).toBe(1)
    s.begin()
    expect((await h.first('mail', s, testAddress('boss@example.org'), new Map())).code).toBe(DECLINED)
    expect(s.transaction!.notes.get(NOTE.whitelistSender)).toBe(1)
    const abuse = testAddress('abuse@example.com')
    expect((await h.first('rcpt', s, abuse, new Map())).code).toBe(DECLINED)
    expect(abuse.notes.get(NOTE.whitelistRcpt)).toBe(true)
    expect(s.transaction!.notes.get(NOTE.whitelistRcpt)).toBe(1)
  })

  it('lets later plugins decide, honouring the notes', async () => {
    // whitelist_soft first, then the filter: loadPlugin puts `before` plugins first, so load the
    // filter as the plugin under test.
    const h = await loadPluginForTest(filter, { before: [{ plugin }], config: CONFIG })
    const plain = h.session({ remoteIp: '192.0.2.99' })
    plain.begin()
    expect((await h.first('rcpt', plain, testAddress('x@example.com'), new Map())).code).toBe(DENY)
    expect((await h.first('rcpt', plain, testAddress('abuse@example.com'), new Map())).code).toBe(DECLINED)
    const host = h.session({ remoteIp: '192.0.2.7' })
    await h.first('connect', host)
    host.begin()
    expect((await h.first('rcpt', host, testAddress('x@example.com'), new Map())).code).toBe(DECLINED)
  })
})
