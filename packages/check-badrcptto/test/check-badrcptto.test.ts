import { DECLINED, DENY, DENYSOFT, NOTE } from '@postern/core'
import { loadPlugin, type PluginHarness, testAddress } from '@postern/testing'
import { afterEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const BADRCPTTO = [
  'nobody@example.com',
  '@retired.example.com   That domain is closed',
  '%',
  '^.*!',
  '/@.*@/',
]

let h: PluginHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

async function rcpt(recipient: string, options: { args?: string; relay?: boolean } = {}) {
  h ??= await loadPlugin(plugin, { args: options.args, config: { badrcptto: BADRCPTTO } })
  const s = h.session({ relayClient: options.relay ?? false })
  s.begin({ sender: 'someone@sender.example' })
  return h.first('rcpt', s, testAddress(recipient), new Map())
}

describe('check_badrcptto', () => {
  it('is check_badrcptto, alias badrcptto', () => {
    expect(pkg.postern).toEqual({ plugin: 'check_badrcptto', aliases: ['badrcptto'] })
  })

  it('refuses listed addresses as no such user', async () => {
    expect(await rcpt('NoBody@Example.com')).toMatchObject({
      code: DENY,
      enhanced: '5.1.1',
      message: ['Mail to NoBody@example.com not accepted here'],
    })
  })

  it('refuses @host entries with their reason', async () => {
    expect(await rcpt('x@retired.example.com')).toMatchObject({
      code: DENY,
      message: ['That domain is closed'],
    })
  })

  it('refuses pattern entries (percent hack, bang path, double at)', async () => {
    expect((await rcpt('a%b@example.com')).code).toBe(DENY)
    expect((await rcpt('"host!user"@example.com')).code).toBe(DENY)
    expect((await rcpt('"a@b"@example.com')).code).toBe(DENY)
  })

  it('accepts others (no verdict)', async () => {
    expect((await rcpt('alice@example.com')).code).toBe(DECLINED)
  })

  it('skips relay clients and whitelisted recipients', async () => {
    expect((await rcpt('nobody@example.com', { relay: true })).code).toBe(DECLINED)
    const s = h!.session()
    s.begin()
    const r = testAddress('nobody@example.com')
    r.notes.set(NOTE.whitelistRcpt, true)
    expect((await h!.first('rcpt', s, r, new Map())).code).toBe(DECLINED)
  })

  it('honours reject_type temp', async () => {
    expect(await rcpt('nobody@example.com', { args: 'reject_type temp' })).toMatchObject({
      code: DENYSOFT,
      enhanced: '4.1.1',
    })
  })

  it('sees config changes', async () => {
    await rcpt('alice@example.com')
    h!.writeConfig('badrcptto', 'alice@example.com\n')
    expect((await rcpt('alice@example.com')).code).toBe(DENY)
    expect((await rcpt('nobody@example.com')).code).toBe(DECLINED)
  })

  it('reports a bad pattern at load with file and line', async () => {
    await expect(
      loadPlugin(plugin, { config: { badrcptto: ['ok@example.com', 'x', '*bad'] } }),
    ).rejects.toThrow(/badrcptto:3: pattern \*bad: not a valid regular expression/)
  })

  it('treats __proto__ as an ordinary address', async () => {
    h = await loadPlugin(plugin, { config: { badrcptto: ['__proto__@example.com'] } })
    expect((await rcpt('__proto__@example.com')).code).toBe(DENY)
    expect((await rcpt('constructor@example.com')).code).toBe(DECLINED)
  })
})
