import { DECLINED, DENY, DENYSOFT, NOTE } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const BADRCPTTO = [
  'nobody@example.com',
  '@retired.example.com   That domain is closed',
  '%',
  '^.*!',
  '/@.*@/',
]

function load(args?: string) {
  return loadPluginForTest(plugin, { args, config: { badrcptto: BADRCPTTO } })
}

async function rcpt(h: PluginHarness, recipient: string, relay = false) {
  const s = h.session({ relayClient: relay })
  s.begin({ sender: 'someone@sender.example' })
  return h.first('rcpt', s, testAddress(recipient), new Map())
}

describe('check_badrcptto', () => {
  it('is check_badrcptto, alias badrcptto', () => {
    expect(pkg.postern).toEqual({ plugin: 'check_badrcptto', aliases: ['badrcptto'] })
  })

  it('refuses listed addresses as no such user', async () => {
    const h = await load()
    expect(await rcpt(h, 'NoBody@Example.com')).toMatchObject({
      code: DENY,
      enhanced: '5.1.1',
      message: ['Mail to NoBody@example.com not accepted here'],
    })
  })

  it('refuses @host entries with their reason', async () => {
    const h = await load()
    expect(await rcpt(h, 'x@retired.example.com')).toMatchObject({
      code: DENY,
      message: ['That domain is closed'],
    })
  })

  it('refuses pattern entries (percent hack, bang path, double at)', async () => {
    const h = await load()
    expect((await rcpt(h, 'a%b@example.com')).code).toBe(DENY)
    expect((await rcpt(h, '"host!user"@example.com')).code).toBe(DENY)
    expect((await rcpt(h, '"a@b"@example.com')).code).toBe(DENY)
  })

  it('accepts others (no verdict)', async () => {
    const h = await load()
    expect((await rcpt(h, 'alice@example.com')).code).toBe(DECLINED)
  })

  it('skips relay clients and whitelisted recipients', async () => {
    const h = await load()
    expect((await rcpt(h, 'nobody@example.com', true)).code).toBe(DECLINED)
    const s = h.session()
    s.begin()
    const r = testAddress('nobody@example.com')
    r.notes.set(NOTE.whitelistRcpt, true)
    expect((await h.first('rcpt', s, r, new Map())).code).toBe(DECLINED)
  })

  it('honours reject_type temp', async () => {
    const h = await load('reject_type temp')
    expect(await rcpt(h, 'nobody@example.com')).toMatchObject({
      code: DENYSOFT,
      enhanced: '4.1.1',
    })
  })

  it('sees config changes', async () => {
    const h = await load()
    await rcpt(h, 'alice@example.com')
    h.writeConfig('badrcptto', 'alice@example.com\n')
    expect((await rcpt(h, 'alice@example.com')).code).toBe(DENY)
    expect((await rcpt(h, 'nobody@example.com')).code).toBe(DECLINED)
  })

  it('reports a bad pattern at load with file and line', async () => {
    await expect(
      loadPlugin(plugin, { config: { badrcptto: ['ok@example.com', 'x', '*bad'] } }),
    ).rejects.toThrow(/badrcptto:3: pattern \*bad: not a valid regular expression/)
  })

  it('treats __proto__ as an ordinary address', async () => {
    const h = await loadPluginForTest(plugin, { config: { badrcptto: ['__proto__@example.com'] } })
    expect((await rcpt(h, '__proto__@example.com')).code).toBe(DENY)
    expect((await rcpt(h, 'constructor@example.com')).code).toBe(DECLINED)
  })
})
