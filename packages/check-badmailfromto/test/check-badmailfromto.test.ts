import { DECLINED, DENY, DENYSOFT } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const PAIRS = [
  'stalker@bad.example\tvictim@example.com',
  '@spam.example   ceo@example.com',
  'lonely@example.com',
]

function load(args?: string) {
  return loadPluginForTest(plugin, { args, config: { badmailfromto: PAIRS } })
}

async function rcpt(h: PluginHarness, sender: string, recipient: string) {
  const s = h.session()
  s.begin({ sender })
  return h.first('rcpt', s, testAddress(recipient), new Map())
}

describe('check_badmailfromto', () => {
  it('is check_badmailfromto, alias badmailfromto', () => {
    expect(pkg.postern).toEqual({ plugin: 'check_badmailfromto', aliases: ['badmailfromto'] })
    expect(plugin.aliases).toEqual(['badmailfromto'])
  })

  it('refuses a listed pair as if the recipient did not exist', async () => {
    const h = await load()
    expect(await rcpt(h, 'Stalker@bad.example', 'VICTIM@example.com')).toMatchObject({
      code: DENY,
      enhanced: '5.1.1',
      message: ['No such user'],
      plugin: 'check_badmailfromto',
    })
  })

  it('matches @host senders', async () => {
    const h = await load()
    expect((await rcpt(h, 'anyone@spam.example', 'ceo@example.com')).code).toBe(DENY)
    expect((await rcpt(h, 'anyone@spam.example', 'cfo@example.com')).code).toBe(DECLINED)
  })

  it('lets the sender write to others and others write to the recipient', async () => {
    const h = await load()
    expect((await rcpt(h, 'stalker@bad.example', 'friend@example.com')).code).toBe(DECLINED)
    expect((await rcpt(h, 'friend@good.example', 'victim@example.com')).code).toBe(DECLINED)
    expect((await rcpt(h, '<>', 'victim@example.com')).code).toBe(DECLINED)
  })

  it('warns about a line without a recipient', async () => {
    const h = await load()
    await rcpt(h, 'a@b.example', 'c@d.example')
    expect(h.logs.some((e) => /badmailfromto:3: needs a sender and a recipient/.test(e.message))).toBe(true)
  })

  it('honours reject_type and reject 0', async () => {
    const temp = await load('reject_type temp')
    expect((await rcpt(temp, 'stalker@bad.example', 'victim@example.com')).code).toBe(DENYSOFT)
    const off = await load('reject 0')
    expect((await rcpt(off, 'stalker@bad.example', 'victim@example.com')).code).toBe(DECLINED)
  })

  it('sees config changes', async () => {
    const h = await load()
    await rcpt(h, 'a@b.example', 'c@d.example')
    h.writeConfig('badmailfromto', ['a@b.example c@d.example'])
    expect((await rcpt(h, 'a@b.example', 'c@d.example')).code).toBe(DENY)
  })

  it('refuses patterns at load, with file and line', async () => {
    await expect(loadPlugin(plugin, { config: { badmailfromto: ['^x.*@y$ a@b.example'] } })).rejects.toThrow(
      /badmailfromto:1: patterns are not supported here/,
    )
  })

  it('treats __proto__ addresses as data', async () => {
    const h = await loadPluginForTest(plugin, {
      config: { badmailfromto: ['__proto__@example.com constructor@example.com'] },
    })
    expect((await rcpt(h, '__proto__@example.com', 'constructor@example.com')).code).toBe(DENY)
    expect((await rcpt(h, '__proto__@example.com', '__proto__@example.com')).code).toBe(DECLINED)
  })
})
