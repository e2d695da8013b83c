import { DECLINED, DENY, DENYSOFT } from '@postern/core'
import { loadPlugin, type PluginHarness, testAddress } from '@postern/testing'
import { afterEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const GOOD = ['alice@example.com', '@lists.example.com', 'postmaster', 'mailer-daemon']

let h: PluginHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

async function rcpt(
  recipient: string,
  options: { args?: string; relay?: boolean; config?: Record<string, string[]> } = {},
) {
  h ??= await loadPlugin(plugin, { args: options.args, config: options.config ?? { goodrcptto: GOOD } })
  const s = h.session({ relayClient: options.relay ?? false })
  s.begin()
  return { s, r: await h.first('rcpt', s, testAddress(recipient), new Map()) }
}

describe('check_goodrcptto', () => {
  it('is check_goodrcptto', () => {
    expect(pkg.postern).toEqual({ plugin: 'check_goodrcptto' })
  })

  it('leaves listed recipients to the next plugin', async () => {
    expect((await rcpt('Alice@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt('anyone@lists.example.com')).r.code).toBe(DECLINED)
    expect((await rcpt('postmaster@other.example')).r.code).toBe(DECLINED)
    expect((await rcpt('postmaster')).r.code).toBe(DECLINED)
  })

  it('refuses everyone else', async () => {
    expect((await rcpt('bob@example.com')).r).toMatchObject({
      code: DENY,
      enhanced: '5.1.1',
      message: ['invalid recipient bob@example.com'],
      plugin: 'check_goodrcptto',
    })
  })

  it('strips extensions with extn, after trying the whole address', async () => {
    expect((await rcpt('alice+news@example.com')).r.code).toBe(DENY)
    await h!.close()
    h = undefined
    expect((await rcpt('alice+news@example.com', { args: 'extn +-' })).r.code).toBe(DECLINED)
    expect((await rcpt('alice-news@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt('mailer-daemon@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt('bob+news@example.com')).r.code).toBe(DENY)
  })

  it('sets the deny_note on refusals', async () => {
    const { s } = await rcpt('bob@example.com', { args: 'deny_note goodrcptto_fail' })
    expect(s.connection.notes.get('goodrcptto_fail')).toBe(1)
    await h!.close()
    h = undefined
    const again = await rcpt('bob@example.com', { args: 'deny_note flagged=yes' })
    expect(again.s.connection.notes.get('flagged')).toBe('yes')
  })

  it('skips relay clients and an empty list', async () => {
    expect((await rcpt('bob@example.com', { relay: true })).r.code).toBe(DECLINED)
    await h!.close()
    h = undefined
    expect((await rcpt('bob@example.com', { config: {} })).r.code).toBe(DECLINED)
  })

  it('honours reject_type and reject 0', async () => {
    expect((await rcpt('bob@example.com', { args: 'reject_type temp' })).r.code).toBe(DENYSOFT)
    await h!.close()
    h = undefined
    expect((await rcpt('bob@example.com', { args: 'reject 0' })).r.code).toBe(DECLINED)
  })

  it('sees config changes', async () => {
    await rcpt('bob@example.com')
    h!.writeConfig('goodrcptto', ['bob@example.com'])
    expect((await rcpt('bob@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt('alice@example.com')).r.code).toBe(DENY)
  })

  it('treats __proto__ as data, and reports bad patterns at load', async () => {
    h = await loadPlugin(plugin, { config: { goodrcptto: ['__proto__'] } })
    expect((await rcpt('__proto__@example.com')).r.code).toBe(DECLINED)
    expect((await rcpt('constructor@example.com')).r.code).toBe(DENY)
    await expect(loadPlugin(plugin, { config: { goodrcptto: ['(x'] } })).rejects.toThrow(
      /goodrcptto:1: pattern \(x/,
    )
  })
})
