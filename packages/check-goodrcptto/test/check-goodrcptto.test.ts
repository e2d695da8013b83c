import { DECLINED, DENY, DENYSOFT } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const GOOD = ['alice@example.com', '@lists.example.com', 'postmaster', 'mailer-daemon']

function load(args?: string, config: Record<string, string[]> = { goodrcptto: GOOD }) {
  return loadPluginForTest(plugin, { args, config })
}

async function rcpt(h: PluginHarness, recipient: string, relay = false) {
  const s = h.session({ relayClient: relay })
  s.begin()
  return { s, r: await h.first('rcpt', s, testAddress(recipient), new Map()) }
}

describe('check_goodrcptto', () => {
  it('is check_goodrcptto', () => {
    expect(pkg.postern).toEqual({ plugin: 'check_goodrcptto' })
  })

  it('leaves listed recipients to the next plugin', async () => {
    const h = await load()
    expect((await rcpt(h, 'Alice@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt(h, 'anyone@lists.example.com')).r.code).toBe(DECLINED)
    expect((await rcpt(h, 'postmaster@other.example')).r.code).toBe(DECLINED)
    expect((await rcpt(h, 'postmaster')).r.code).toBe(DECLINED)
  })

  it('refuses everyone else', async () => {
    const h = await load()
    expect((await rcpt(h, 'bob@example.com')).r).toMatchObject({
      code: DENY,
      enhanced: '5.1.1',
      message: ['invalid recipient bob@example.com'],
      plugin: 'check_goodrcptto',
    })
  })

  it('strips extensions with extn, after trying the whole address', async () => {
    expect((await rcpt(await load(), 'alice+news@example.com')).r.code).toBe(DENY)
    const h = await load('extn +-')
    expect((await rcpt(h, 'alice+news@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt(h, 'alice-news@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt(h, 'mailer-daemon@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt(h, 'bob+news@example.com')).r.code).toBe(DENY)
  })

  it('sets the deny_note on refusals', async () => {
    const { s } = await rcpt(await load('deny_note goodrcptto_fail'), 'bob@example.com')
    expect(s.connection.notes.get('goodrcptto_fail')).toBe(1)
    const again = await rcpt(await load('deny_note flagged=yes'), 'bob@example.com')
    expect(again.s.connection.notes.get('flagged')).toBe('yes')
  })

  it('skips relay clients and an empty list', async () => {
    expect((await rcpt(await load(), 'bob@example.com', true)).r.code).toBe(DECLINED)
    expect((await rcpt(await load(undefined, {}), 'bob@example.com')).r.code).toBe(DECLINED)
  })

  it('honours reject_type and reject 0', async () => {
    expect((await rcpt(await load('reject_type temp'), 'bob@example.com')).r.code).toBe(DENYSOFT)
    expect((await rcpt(await load('reject 0'), 'bob@example.com')).r.code).toBe(DECLINED)
  })

  it('sees config changes', async () => {
    const h = await load()
    await rcpt(h, 'bob@example.com')
    h.writeConfig('goodrcptto', ['bob@example.com'])
    expect((await rcpt(h, 'bob@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt(h, 'alice@example.com')).r.code).toBe(DENY)
  })

  it('treats __proto__ as data, and reports bad patterns at load', async () => {
    const h = await load(undefined, { goodrcptto: ['__proto__'] })
    expect((await rcpt(h, '__proto__@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt(h, 'constructor@example.com')).r.code).toBe(DENY)
    await expect(loadPlugin(plugin, { config: { goodrcptto: ['(x'] } })).rejects.toThrow(
      /goodrcptto:1: pattern \(x/,
    )
  })
})
