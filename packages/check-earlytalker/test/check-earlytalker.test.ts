import { Address, NOTE as CORE_NOTE, DECLINED, DENY, DENYSOFT, DENYSOFT_DISCONNECT } from '@postern/core'
import { loadPlugin, loadPluginForTest, type TestSession } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { NOTE } from '../src/index.js'

const REFUSAL = {
  code: DENYSOFT,
  enhanced: '4.5.0',
  message: ['Connecting host started transmitting before SMTP greeting'],
  plugin: 'check_earlytalker',
}

/** Makes the client "talk" after `ms`, as the engine would flag it when bytes arrive. */
function talkAfter(s: TestSession, ms: number) {
  setTimeout(() => {
    s.connection.earlyTalker = true
  }, ms)
}

async function connect(args: string, talk: 'before' | 'during' | 'never', init = {}) {
  const h = await loadPluginForTest(plugin, { args })
  const s = h.session(init)
  if (talk === 'before') s.connection.earlyTalker = true
  if (talk === 'during') talkAfter(s, 5)
  return { h, s, r: await h.first('connect', s) }
}

describe('check_earlytalker', () => {
  it('declares its core range and aliases as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(plugin.aliases).toEqual(pkg.postern.aliases)
  })

  it('lets a patient client through', async () => {
    const { s, r } = await connect('wait 0.02', 'never')
    expect(r.code).toBe(DECLINED)
    expect(s.connection.notes.has(NOTE)).toBe(false)
  })

  it('refuses a client that talked before the greeting, temporary by default', async () => {
    const { s, r } = await connect('wait 5', 'before')
    expect(r).toMatchObject(REFUSAL)
    expect(s.connection.notes.get(NOTE)).toBe(true)
  })

  it('notices talk that arrives while it waits', async () => {
    const { r } = await connect('wait 5', 'during')
    expect(r).toMatchObject(REFUSAL)
  })

  it('honours reject_type and the old action argument', async () => {
    expect((await connect('wait 1 reject_type perm', 'before')).r).toMatchObject({
      code: DENY,
      enhanced: '5.5.0',
    })
    expect((await connect('wait 1 reject_type temp_disconnect', 'before')).r.code).toBe(DENYSOFT_DISCONNECT)
    expect((await connect('action deny', 'before')).r.code).toBe(DENY)
    const logged = await connect('action log', 'before')
    expect(logged.r.code).toBe(DECLINED)
    expect(logged.s.connection.notes.get(NOTE)).toBe(true)
  })

  it('with defer-reject, refuses at MAIL instead', async () => {
    const { h, s, r } = await connect('wait 1 defer-reject 1', 'before')
    expect(r.code).toBe(DECLINED)
    s.begin()
    const mail = await h.first('mail', s, Address.parse('<a@example.com>'), new Map())
    expect(mail).toMatchObject(REFUSAL)
  })

  it('with reject naughty, stores a deferred reject for the engine', async () => {
    const { s, r } = await connect('wait 1 reject naughty', 'before')
    expect(r.code).toBe(DECLINED)
    expect(s.connection.notes.get(CORE_NOTE.naughty)).toBe(REFUSAL.message[0])
    expect(s.connection.notes.get(CORE_NOTE.naughtyRejectType)).toBe(DENYSOFT)
  })

  it('skips immune clients and good karma without waiting', async () => {
    expect((await connect('wait 30', 'before', { relayClient: true })).r.code).toBe(DECLINED)
    expect((await connect('wait 30', 'before', { notes: { karma_history: 6 } })).r.code).toBe(DECLINED)
  })

  it('is not cut short by a hook_timeout shorter than the wait', async () => {
    expect((await connect('wait 0.05 hook_timeout 0.01', 'never')).r.code).toBe(DECLINED)
  })

  it('gives up quietly when the client goes away during the wait', async () => {
    const h = await loadPluginForTest(plugin, { args: 'wait 30' })
    const s = h.session()
    setTimeout(() => s.disconnect(), 5)
    expect((await h.first('connect', s)).code).toBe(DECLINED)
  })

  it('does nothing with check-at DATA (the engine checks pipelining itself) and says so', async () => {
    const { h, r } = await connect('check-at DATA', 'before')
    expect(r.code).toBe(DECLINED)
    expect(h.logs.some((l) => /check-at DATA/.test(l.message))).toBe(true)
  })

  it('refuses bad arguments at load', async () => {
    await expect(loadPlugin(plugin, { args: 'wait forever' })).rejects.toThrow(/wait must be/)
    await expect(loadPlugin(plugin, { args: 'check-at HELO' })).rejects.toThrow(/check-at must be/)
    await expect(loadPlugin(plugin, { args: 'action drop' })).rejects.toThrow(/action must be/)
  })
})
