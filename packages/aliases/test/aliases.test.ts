import { DECLINED, DENY, DENYSOFT } from '@postern/core'
import {
  loadPlugin,
  loadPluginForTest,
  type PluginHarness,
  type TestSession,
  testAddress,
} from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { NOTE_EXPANSION, NOTE_ORIGINAL } from '../src/index.js'

const ALIASES = [
  '# local users',
  'alice@example.com:',
  'bob@example.com:       ; spam_threshold=8 quarantine=yes',
  'sales@example.com:     alice, carol@elsewhere.example     # a team',
  'team@example.com:      sales, bob',
  'postmaster:            alice@example.com',
  'a.smith@example.com:   alice',
  '@example.net:          catchall@example.com',
  'catchall@example.com:',
  'loop1@example.com:     loop2',
  'loop2@example.com:     loop1',
]

async function session(args?: string, config: string[] = ALIASES) {
  const h = await loadPluginForTest(plugin, { args, config: { aliases: config } })
  const s = h.session()
  s.begin({ sender: 'someone@sender.example' })
  return { h, s }
}

/** Runs RCPT for each recipient, adds the accepted ones (as the engine does), then DATA. */
async function deliver(h: PluginHarness, s: TestSession, recipients: string[]) {
  const results = []
  for (const r of recipients) {
    const a = testAddress(r)
    const res = await h.first('rcpt', s, a, new Map())
    results.push(res)
    if (res.code === DECLINED) s.transaction!.addRecipient(a)
  }
  await h.first('data', s)
  return { results, recipients: s.transaction!.recipients.map((r) => r.address) }
}

describe('aliases', () => {
  it('is aliases', () => {
    expect(pkg.postern).toEqual({ plugin: 'aliases' })
  })

  it('refuses unknown users at covered domains: 550 5.1.1', async () => {
    const { h, s } = await session()
    expect(await h.first('rcpt', s, testAddress('nobody@example.com'), new Map())).toMatchObject({
      code: DENY,
      enhanced: '5.1.1',
      message: ['No such user'],
      plugin: 'aliases',
    })
  })

  it('leaves domains it does not cover to other plugins', async () => {
    const { h, s } = await session()
    expect((await h.first('rcpt', s, testAddress('x@other.example'), new Map())).code).toBe(DECLINED)
  })

  it('accepts mailboxes as they are, and sets their options as address notes', async () => {
    const { h, s } = await session()
    const bob = testAddress('Bob@example.com')
    expect((await h.first('rcpt', s, bob, new Map())).code).toBe(DECLINED)
    expect(bob.notes.get('spam_threshold')).toBe('8')
    expect(bob.notes.get('quarantine')).toBe('yes')
    expect(bob.notes.has(NOTE_EXPANSION)).toBe(false)
  })

  it('expands aliases recursively at DATA, once per target, with options carried', async () => {
    const { h, s } = await session()
    const { recipients } = await deliver(h, s, ['team@example.com', 'alice@example.com'])
    expect(recipients).toEqual(['alice@example.com', 'carol@elsewhere.example', 'bob@example.com'])
    const bob = s.transaction!.recipients[2]!
    expect(bob.notes.get(NOTE_ORIGINAL)).toBe('team@example.com')
    expect(bob.notes.get('spam_threshold')).toBe('8')
  })

  it('keeps the extension through a user entry', async () => {
    const { h, s } = await session()
    const { recipients } = await deliver(h, s, ['sales+leads@example.com', 'alice+x@example.com'])
    expect(recipients).toEqual([
      'alice+leads@example.com',
      'carol+leads@elsewhere.example',
      'alice+x@example.com',
    ])
  })

  it('uses bare user entries and @domain catch-alls', async () => {
    const { h, s } = await session()
    const { recipients } = await deliver(h, s, ['postmaster@example.com', 'anyone@example.net'])
    expect(recipients).toEqual(['alice@example.com', 'catchall@example.com'])
  })

  it('stops a loop at the repeated address', async () => {
    const { h, s } = await session()
    const { recipients } = await deliver(h, s, ['loop1@example.com'])
    expect(recipients).toEqual(['loop1@example.com'])
  })

  it('honours the extn argument', async () => {
    const { h, s } = await session('extn -')
    const { recipients } = await deliver(h, s, ['a.smith-work@example.com'])
    expect(recipients).toEqual(['alice-work@example.com'])
  })

  it('honours reject_type and reject 0', async () => {
    const temp = await session('reject_type temp')
    expect((await temp.h.first('rcpt', temp.s, testAddress('nobody@example.com'), new Map())).code).toBe(
      DENYSOFT,
    )
    const off = await session('reject 0')
    expect((await off.h.first('rcpt', off.s, testAddress('nobody@example.com'), new Map())).code).toBe(
      DECLINED,
    )
  })

  it('sees changes to the aliases file', async () => {
    const { h } = await session()
    h.writeConfig('aliases', ['nobody@example.com: alice'])
    const s = h.session()
    s.begin()
    expect((await deliver(h, s, ['nobody@example.com'])).recipients).toEqual(['alice@example.com'])
  })

  it('reports bad lines at load with file and line', async () => {
    await expect(
      loadPlugin(plugin, { config: { aliases: ['alice@example.com:', 'no colon here'] } }),
    ).rejects.toThrow(/aliases:2: expected "address: targets"/)
    await expect(loadPlugin(plugin, { config: { aliases: ['x@example.com: a b@@c'] } })).rejects.toThrow(
      /aliases:1: "b@@c" is not a valid target address/,
    )
    await expect(loadPlugin(plugin, { config: { aliases: ['x@example.com: ; novalue'] } })).rejects.toThrow(
      /aliases:1: option "novalue" must be name=value/,
    )
    await expect(
      loadPlugin(plugin, { config: { aliases: ['x@example.com:', 'X@example.com: y'] } }),
    ).rejects.toThrow(/aliases:2: "x@example.com" is already defined at .*aliases:1/)
  })

  it('treats __proto__ as an ordinary user, alias and option', async () => {
    const { h, s } = await session(undefined, [
      '__proto__@example.com: constructor',
      'constructor@example.com: ; __proto__=1',
    ])
    const { results, recipients } = await deliver(h, s, ['__proto__@example.com', 'toString@example.com'])
    expect(results.map((r) => r.code)).toEqual([DECLINED, DENY])
    expect(recipients).toEqual(['constructor@example.com'])
    expect(s.transaction!.recipients[0]!.notes.get('__proto__')).toBe('1')
  })
})
