import { DECLINED, DENY, definePlugin, ok } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const MAP = [
  'old@example.com   new@elsewhere.example',
  '@old.example   @new.example',
  '__proto__@example.com  p@example.org',
]

function load(args?: string) {
  return loadPluginForTest(plugin, { args, config: { redirect: MAP } })
}

async function rcpt(h: PluginHarness, recipient: string) {
  const s = h.session()
  s.begin()
  return h.first('rcpt', s, testAddress(recipient), new Map())
}

describe('redirect', () => {
  it('is redirect', () => {
    expect(pkg.postern).toEqual({ plugin: 'redirect' })
  })

  it('answers 551 5.1.6 User not local; please try <address>', async () => {
    const h = await load()
    expect(await rcpt(h, 'OLD@example.com')).toMatchObject({
      code: DENY,
      reply: 551,
      enhanced: '5.1.6',
      message: ['User not local; please try <new@elsewhere.example>'],
      plugin: 'redirect',
    })
  })

  it('moves a whole domain, keeping the user', async () => {
    const h = await load()
    expect(await rcpt(h, 'Carol.X@old.example')).toMatchObject({
      reply: 551,
      message: ['User not local; please try <Carol.X@new.example>'],
    })
  })

  it('leaves other recipients alone', async () => {
    const h = await load()
    expect((await rcpt(h, 'alice@example.com')).code).toBe(DECLINED)
    expect((await rcpt(h, 'constructor@example.com')).code).toBe(DECLINED)
    expect((await rcpt(h, '__proto__@example.com')).message).toEqual([
      'User not local; please try <p@example.org>',
    ])
  })

  it('only logs with reject 0', async () => {
    const h = await load('reject 0')
    expect((await rcpt(h, 'old@example.com')).code).toBe(DECLINED)
    expect(h.logs.some((e) => e.message.startsWith('fail, tolerated'))).toBe(true)
  })

  it('uses a per-user answer from user_config with per_user 1', async () => {
    const userConfig = definePlugin({
      name: 'test_user_config',
      core: '^1.0.0',
      hooks: {
        user_config: (_ctx, address, key) =>
          key === 'redirect' && address.user === 'dave' ? ok(['dave@home.example']) : undefined,
      },
    })
    const h = await loadPluginForTest(plugin, {
      args: 'per_user 1',
      config: { redirect: MAP },
      before: [{ plugin: userConfig }],
    })
    expect((await rcpt(h, 'dave@example.com')).message).toEqual([
      'User not local; please try <dave@home.example>',
    ])
    expect((await rcpt(h, 'old@example.com')).message).toEqual([
      'User not local; please try <new@elsewhere.example>',
    ])
  })

  it('sees changes to the map', async () => {
    const h = await load()
    await rcpt(h, 'alice@example.com')
    h.writeConfig('redirect', ['alice@example.com alice@new.example'])
    expect((await rcpt(h, 'alice@example.com')).reply).toBe(551)
  })

  it('reports bad lines at load with file and line', async () => {
    await expect(loadPlugin(plugin, { config: { redirect: ['a@b.example'] } })).rejects.toThrow(
      /redirect:1: expected "old-address new-address"/,
    )
    await expect(loadPlugin(plugin, { config: { redirect: ['a@b.example not..valid@x'] } })).rejects.toThrow(
      /redirect:1: .*is not an address/,
    )
    await expect(
      loadPlugin(plugin, { config: { redirect: ['@old.example new@x.example'] } }),
    ).rejects.toThrow(/redirect:1: a domain redirect is/)
  })
})
