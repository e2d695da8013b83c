import { DECLINED, OK } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress, testMessage } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { NOTE_SPAMTRAP } from '../src/index.js'

const TRAPS = ['trap@example.com', '@honeypot.example   research@example.org', '/^spam-\\d+@example\\.com$/']

function load() {
  return loadPluginForTest(plugin, {
    args: 'destination quarantine@example.com',
    config: { spamtrap: TRAPS },
  })
}

async function deliver(h: PluginHarness, recipients: string[], relay = false) {
  const s = h.session({ relayClient: relay })
  const tx = s.begin({ sender: 'spammer@bad.example' })
  const results = []
  for (const r of recipients) {
    const a = testAddress(r)
    const res = await h.first('rcpt', s, a, new Map())
    results.push(res)
    if (res.code === OK || res.code === DECLINED) tx.addRecipient(a)
  }
  await h.first('data', s)
  tx.header = testMessage('Subject: buy now\n\nbody\n').header
  await h.notify('data_post_headers', s)
  return { s, tx, results }
}

describe('spamtrap', () => {
  it('is spamtrap', () => {
    expect(pkg.postern).toEqual({ plugin: 'spamtrap' })
  })

  it('accepts the trap and diverts the whole message to the destination', async () => {
    const h = await load()
    const { s, tx, results } = await deliver(h, ['alice@example.com', 'Trap@example.com'])
    expect(results.map((r) => r.code)).toEqual([DECLINED, OK])
    expect(results[1]!.plugin).toBe('spamtrap')
    expect(tx.recipients.map((r) => r.address)).toEqual(['quarantine@example.com'])
    expect(tx.header?.get('X-Spamtrap')).toBe('Trap@example.com')
    expect(s.connection.notes.get(NOTE_SPAMTRAP)).toBe(1)
  })

  it('uses a per-line destination, and patterns', async () => {
    const h = await load()
    const { tx } = await deliver(h, ['x@honeypot.example', 'spam-42@example.com'])
    expect(tx.recipients.map((r) => r.address)).toEqual(['research@example.org', 'quarantine@example.com'])
  })

  it('leaves other mail alone', async () => {
    const h = await load()
    const { tx, results } = await deliver(h, ['alice@example.com'])
    expect(results[0]!.code).toBe(DECLINED)
    expect(tx.recipients.map((r) => r.address)).toEqual(['alice@example.com'])
    expect(tx.header?.has('X-Spamtrap')).toBe(false)
  })

  it('skips relay clients', async () => {
    const h = await load()
    const { results } = await deliver(h, ['trap@example.com'], true)
    expect(results[0]!.code).toBe(DECLINED)
  })

  it('refuses to load a trap without a destination, or a bad one, naming file and line', async () => {
    await expect(
      loadPlugin(plugin, { config: { spamtrap: ['@ok.example a@b.example', 'trap@x.example'] } }),
    ).rejects.toThrow(/spamtrap:2: trap trap@x.example has no destination/)
    await expect(
      loadPlugin(plugin, { config: { spamtrap: ['trap@x.example not-an-address'] } }),
    ).rejects.toThrow(/spamtrap:1: destination not-an-address is not an address/)
    await expect(loadPlugin(plugin, { args: 'destination nope', config: {} })).rejects.toThrow(
      /nope is not an address/,
    )
    await expect(
      loadPlugin(plugin, { args: 'destination q@example.com', config: { spamtrap: ['/(a|a)*@x/'] } }),
    ).rejects.toThrow(/spamtrap:1: pattern .*exponential/)
  })

  it('sees config changes, and treats __proto__ as data', async () => {
    const h = await load()
    await deliver(h, [])
    h.writeConfig('spamtrap', ['__proto__@example.com'])
    expect((await deliver(h, ['__proto__@example.com'])).results[0]!.code).toBe(OK)
    expect((await deliver(h, ['trap@example.com'])).results[0]!.code).toBe(DECLINED)
  })
})
