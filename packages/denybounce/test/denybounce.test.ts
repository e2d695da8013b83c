import { DECLINED, DENY, DENYSOFT, MemoryStore, OK } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

async function load(args?: string, store = new MemoryStore()) {
  return { h: await loadPluginForTest(plugin, { args, store }), store }
}

/** A relay client's message from `sender`, queued (queue_post with OK). */
async function send(h: PluginHarness, sender: string, code: typeof OK | typeof DENY = OK, auth = false) {
  const s = h.session({ relayClient: !auth })
  if (auth) s.connection.auth = { user: 'alice', mechanism: 'PLAIN' }
  s.begin({ sender, recipients: ['friend@elsewhere.example'] })
  await h.notify('queue_post', s, { code, message: ['Queued'] })
}

async function bounce(h: PluginHarness, recipient: string) {
  const s = h.session()
  s.begin({ sender: '<>' })
  return h.first('rcpt', s, testAddress(recipient), new Map())
}

describe('denybounce', () => {
  it('is denybounce', () => {
    expect(pkg.postern).toEqual({ plugin: 'denybounce' })
  })

  it('refuses a bounce to an address that has sent no mail', async () => {
    const { h } = await load()
    expect(await bounce(h, 'alice@example.com')).toMatchObject({
      code: DENY,
      enhanced: '5.7.1',
      message: ['alice@example.com sends no mail, so it accepts no bounces'],
      plugin: 'denybounce',
    })
  })

  it('accepts bounces for senders of queued relay or authenticated mail, in the namespaced store', async () => {
    const { h, store } = await load()
    await send(h, 'Alice@example.com')
    await send(h, 'bob@example.com', OK, true)
    expect((await bounce(h, 'alice@example.com')).code).toBe(DECLINED)
    expect((await bounce(h, 'bob@example.com')).code).toBe(DECLINED)
    expect(await store.get('denybounce:alice@example.com')).toMatch(/^\d+$/)
  })

  it('does not record refused messages or non-relay senders', async () => {
    const { h } = await load()
    await send(h, 'carol@example.com', DENY)
    const s = h.session()
    s.begin({ sender: 'dave@example.com' })
    await h.notify('queue_post', s, { code: OK, message: [] })
    expect((await bounce(h, 'carol@example.com')).code).toBe(DENY)
    expect((await bounce(h, 'dave@example.com')).code).toBe(DENY)
  })

  it('leaves ordinary mail, postmaster and relay clients alone', async () => {
    const { h } = await load()
    const s = h.session()
    s.begin({ sender: 'someone@else.example' })
    expect((await h.first('rcpt', s, testAddress('alice@example.com'), new Map())).code).toBe(DECLINED)
    expect((await bounce(h, 'postmaster@example.com')).code).toBe(DECLINED)
    const r = h.session({ relayClient: true })
    r.begin({ sender: '<>' })
    expect((await h.first('rcpt', r, testAddress('alice@example.com'), new Map())).code).toBe(DECLINED)
  })

  it('forgets senders after `days`', async () => {
    const { h, store } = await load('days 1')
    await send(h, 'alice@example.com')
    await store.set('denybounce:alice@example.com', '1', { ttl: 1 })
    await new Promise((r) => setTimeout(r, 5))
    expect((await bounce(h, 'alice@example.com')).code).toBe(DENY)
    await expect(loadPlugin(plugin, { args: 'days -3' })).rejects.toThrow(/days must be a positive number/)
  })

  it('honours reject_type and reject 0', async () => {
    const temp = await load('reject_type temp')
    expect((await bounce(temp.h, 'alice@example.com')).code).toBe(DENYSOFT)
    const off = await load('reject 0')
    expect((await bounce(off.h, 'alice@example.com')).code).toBe(DECLINED)
  })

  it('treats __proto__ as an ordinary address', async () => {
    const { h } = await load()
    await send(h, '__proto__@example.com')
    expect((await bounce(h, '__proto__@example.com')).code).toBe(DECLINED)
    expect((await bounce(h, 'constructor@example.com')).code).toBe(DENY)
  })
})
