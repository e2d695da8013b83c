import { DECLINED, definePlugin, NOTE, OK, ok, type PluginDefinition } from '@postern/core'
import { loadPlugin, loadPluginForTest, testAddress } from '@postern/testing'
import { afterEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const CONFIG = {
  whitelisthosts: ['192.0.2.7', '10.1', '2001:db8::/32'],
  whitelisthelo: ['trusted.example'],
  whitelistsenders: ['boss@example.org', 'partner.example', '@friends.example'],
  whitelistrcpt: ['abuse@example.com', 'example.net'],
}

afterEach(() => {
  delete process.env.WHITELISTCLIENT
})

function load(args?: string, before: { plugin: PluginDefinition }[] = []) {
  return loadPluginForTest(plugin, { args, config: CONFIG, before })
}

describe('whitelist', () => {
  it('is whitelist', () => {
    expect(pkg.postern).toEqual({ plugin: 'whitelist' })
  })

  it('whitelists hosts at connect: note whitelisthost and OK', async () => {
    const h = await load()
    for (const ip of ['192.0.2.7', '10.1.200.3', '2001:db8::1']) {
      const s = h.session({ remoteIp: ip })
      expect(await h.first('connect', s)).toMatchObject({ code: OK, plugin: 'whitelist' })
      expect(s.connection.notes.get(NOTE.whitelistHost)).toBe(1)
      expect(s.connection.relayClient).toBe(false)
    }
    const other = h.session({ remoteIp: '10.10.0.1' })
    expect((await h.first('connect', other)).code).toBe(DECLINED)
    expect(other.connection.notes.has(NOTE.whitelistHost)).toBe(false)
  })

  it('whitelists every client with WHITELISTCLIENT (note whitelistclient)', async () => {
    process.env.WHITELISTCLIENT = '1'
    const h = await load()
    const s = h.session({ remoteIp: '192.0.2.99' })
    expect((await h.first('connect', s)).code).toBe(OK)
    expect(s.connection.notes.get('whitelistclient')).toBe(1)
  })

  it('whitelists HELO names', async () => {
    const h = await load()
    const s = h.session()
    expect((await h.first('helo', s, 'Trusted.Example')).code).toBe(OK)
    expect(s.connection.notes.get('whitelisthelo')).toBe(1)
    expect((await h.first('ehlo', h.session(), 'other.example')).code).toBe(DECLINED)
  })

  it('whitelists senders by address, bare host or @host: note whitelistsender and OK', async () => {
    const h = await load()
    for (const sender of ['Boss@example.org', 'x@partner.example', 'y@friends.example']) {
      const s = h.session()
      s.begin()
      expect((await h.first('mail', s, testAddress(sender), new Map())).code).toBe(OK)
      expect(s.transaction!.notes.get(NOTE.whitelistSender)).toBe(1)
    }
    const s = h.session()
    s.begin()
    expect((await h.first('mail', s, testAddress('<>'), new Map())).code).toBe(DECLINED)
    expect((await h.first('mail', s, testAddress('x@sub.partner.example'), new Map())).code).toBe(DECLINED)
  })

  it('accepts whitelisted recipients and counts them', async () => {
    const h = await load()
    const s = h.session()
    s.begin()
    const abuse = testAddress('abuse@example.com')
    expect((await h.first('rcpt', s, abuse, new Map())).code).toBe(OK)
    expect((await h.first('rcpt', s, testAddress('x@example.net'), new Map())).code).toBe(OK)
    expect((await h.first('rcpt', s, testAddress('x@example.com'), new Map())).code).toBe(DECLINED)
    expect(abuse.notes.get(NOTE.whitelistRcpt)).toBe(true)
    expect(s.transaction!.notes.get(NOTE.whitelistRcpt)).toBe(2)
  })

  it('per_recipient: merges the recipient own lists (user_config) and sets address notes', async () => {
    const userConfig = definePlugin({
      name: 'test_user_config',
      core: '^1.0.0',
      hooks: {
        user_config: (_ctx, address, key) =>
          address.user === 'carol' && key === 'whitelistsenders'
            ? ok(['carol-friend@elsewhere.example'])
            : undefined,
      },
    })
    const h = await load('per_recipient 1', [{ plugin: userConfig }])
    const s = h.session({ remoteIp: '192.0.2.7', helloHost: 'trusted.example' })
    s.begin({ sender: 'carol-friend@elsewhere.example' })
    const carol = testAddress('carol@example.com')
    expect((await h.first('rcpt', s, carol, new Map())).code).toBe(DECLINED)
    expect(carol.notes.get(NOTE.whitelistSender)).toBe(1)
    expect(carol.notes.get(NOTE.whitelistHost)).toBe(1)
    expect(carol.notes.get('whitelisthelo')).toBe(1)
    expect(s.connection.notes.has(NOTE.whitelistHost)).toBe(false)
    const dave = testAddress('dave@example.com')
    await h.first('rcpt', s, dave, new Map())
    expect(dave.notes.has(NOTE.whitelistSender)).toBe(false)
    expect((await h.first('rcpt', s, testAddress('abuse@example.com'), new Map())).code).toBe(OK)
  })

  it('sees list changes, and reports bad host lines at load', async () => {
    const h = await load()
    h.writeConfig('whitelistsenders', ['new@example.org'])
    const s = h.session()
    s.begin()
    expect((await h.first('mail', s, testAddress('new@example.org'), new Map())).code).toBe(OK)
    expect((await h.first('mail', s, testAddress('boss@example.org'), new Map())).code).toBe(DECLINED)
    await expect(loadPlugin(plugin, { config: { whitelisthosts: ['trusted.example'] } })).rejects.toThrow(
      /whitelisthosts:1: "trusted.example" is not an IP address/,
    )
  })

  it('treats __proto__ as data', async () => {
    const h = await loadPluginForTest(plugin, {
      config: { whitelistsenders: ['__proto__@example.com'], whitelistrcpt: ['constructor'] },
    })
    const s = h.session()
    s.begin()
    expect((await h.first('mail', s, testAddress('__proto__@example.com'), new Map())).code).toBe(OK)
    expect((await h.first('rcpt', s, testAddress('x@constructor'), new Map())).code).toBe(OK)
    expect((await h.first('rcpt', s, testAddress('x@toString'), new Map())).code).toBe(DECLINED)
  })
})
