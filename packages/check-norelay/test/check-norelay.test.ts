import { DECLINED, definePlugin, ok, type PluginHooks } from '@postern/core'
import { loadPlugin, loadPluginForTest, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { NOTE_NORELAY } from '../src/index.js'

/** Stands in for check_relay, or for a plugin that grants relaying and stops the connect chain. */
function granting(answer: boolean) {
  const hooks: PluginHooks = {
    connect(ctx) {
      ctx.connection.relayClient = true
      return answer ? ok() : undefined
    },
  }
  return definePlugin({ name: answer ? 'grant_and_stop' : 'grant', core: '^1.0.0', hooks })
}

function load(before = granting(false)) {
  return loadPluginForTest(plugin, {
    before: [{ plugin: before }],
    config: { norelayclients: ['192.0.2.25', '198.51.100.', '2001:db8::/32'] },
  })
}

describe('check_norelay', () => {
  it('is check_norelay', () => {
    expect(pkg.postern).toEqual({ plugin: 'check_norelay' })
  })

  it('takes relaying away from listed clients at connect', async () => {
    const h = await load()
    for (const ip of ['192.0.2.25', '198.51.100.3', '2001:db8::5']) {
      const s = h.session({ remoteIp: ip })
      expect((await h.first('connect', s)).code).toBe(DECLINED)
      expect(s.connection.relayClient, ip).toBe(false)
      expect(s.connection.notes.get(NOTE_NORELAY)).toBe(true)
    }
    const other = h.session({ remoteIp: '192.0.2.26' })
    await h.first('connect', other)
    expect(other.connection.relayClient).toBe(true)
  })

  it('enforces itself at MAIL and RCPT when an earlier plugin stopped the connect chain', async () => {
    const h = await load(granting(true))
    const s = h.session({ remoteIp: '192.0.2.25' })
    expect((await h.first('connect', s)).code).toBe(900)
    expect(s.connection.relayClient).toBe(true)
    s.begin()
    await h.first('mail', s, testAddress('a@example.com'), new Map())
    expect(s.connection.relayClient).toBe(false)
    s.connection.relayClient = true
    await h.first('rcpt', s, testAddress('b@example.com'), new Map())
    expect(s.connection.relayClient).toBe(false)
  })

  it('leaves authenticated clients alone', async () => {
    const h = await load()
    const s = h.session({ remoteIp: '192.0.2.25' })
    s.connection.auth = { user: 'alice', mechanism: 'PLAIN' }
    s.connection.relayClient = true
    s.begin()
    await h.first('rcpt', s, testAddress('b@example.com'), new Map())
    expect(s.connection.relayClient).toBe(true)
  })

  it('sees norelayclients change, and reports bad lines at load', async () => {
    const h = await load()
    h.writeConfig('norelayclients', ['192.0.2.26'])
    const s = h.session({ remoteIp: '192.0.2.26' })
    await h.first('connect', s)
    expect(s.connection.relayClient).toBe(false)
    await expect(loadPlugin(plugin, { config: { norelayclients: ['10.0.0.0/40'] } })).rejects.toThrow(
      /norelayclients:1: "10.0.0.0\/40" is not an IP address/,
    )
  })
})
