import { Address, DENY, definePlugin, deny, ok } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, type TestSession } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { NOTE_COUNT, NOTE_DELAY, tarpitDelay } from '../src/index.js'

/** Refuses every recipient whose user is `bad`, accepts the rest; also refuses HELO `spam`. */
const gate = definePlugin({
  name: 'gate',
  core: '^1.0.0',
  hooks: {
    rcpt: (_ctx, r) => (r.user === 'bad' ? deny('No such user', '5.1.1') : ok()),
    helo: (_ctx, host) => (host === 'spam' ? deny('go away') : undefined),
  },
})

const rcpt = (h: PluginHarness, s: TestSession, user: string) =>
  h.first('rcpt', s, Address.parse(`<${user}@example.org>`), new Map())

async function setup(args = '', relayClient = false) {
  const h = await loadPluginForTest(plugin, { args, before: [{ plugin: gate }] })
  const s = h.session({ relayClient })
  s.begin({ sender: 'a@example.com' })
  return { h, s }
}

describe('tarpit', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('computes a geometric, capped delay', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => tarpitDelay(n, 1000, 2, 10_000))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ])
    expect(tarpitDelay(0, 1000, 2, 10_000)).toBe(0)
  })

  it('grows the reply delay on each refusal and leaves accepted commands alone', async () => {
    const { h, s } = await setup()
    expect((await rcpt(h, s, 'good')).code).not.toBe(DENY)
    expect(s.delay).toBe(0)
    expect((await rcpt(h, s, 'bad')).code).toBe(DENY)
    expect(s.delay).toBe(1000)
    await rcpt(h, s, 'bad')
    expect(s.delay).toBe(2000)
    await rcpt(h, s, 'bad')
    expect(s.delay).toBe(4000)
    expect(s.connection.notes.get(NOTE_COUNT)).toBe(3)
    expect(s.connection.notes.get(NOTE_DELAY)).toBe(4000)
  })

  it('honours delay, factor, max and grace', async () => {
    const { h, s } = await setup('delay 0.01 factor 3 max 0.05 grace 1')
    await rcpt(h, s, 'bad')
    expect(s.delay).toBe(0)
    await rcpt(h, s, 'bad')
    expect(s.delay).toBe(10)
    await rcpt(h, s, 'bad')
    expect(s.delay).toBe(30)
    await rcpt(h, s, 'bad')
    expect(s.delay).toBe(50)
    await rcpt(h, s, 'bad')
    expect(s.delay).toBe(50)
  })

  it('counts only the hooks it is told to', async () => {
    const { h, s } = await setup('hooks rcpt')
    await h.first('helo', s, 'spam')
    expect(s.delay).toBe(0)
    await rcpt(h, s, 'bad')
    expect(s.delay).toBe(1000)
  })

  it('spares immune clients', async () => {
    const { h, s } = await setup('', true)
    await rcpt(h, s, 'bad')
    expect(s.delay).toBe(0)
  })

  it('refuses bad arguments at load', async () => {
    await expect(loadPlugin(plugin, { args: 'delay -1' })).rejects.toThrow(/delay must be/)
    await expect(loadPlugin(plugin, { args: 'factor 0.5' })).rejects.toThrow(/factor must be/)
    await expect(loadPlugin(plugin, { args: 'hooks rcpt,__proto__' })).rejects.toThrow(/unknown hook/)
  })
})
