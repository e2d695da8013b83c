import { DECLINED, DENY, DENYSOFT, deferredReject, NOTE } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const BADMAILFROM = [
  '# senders we refuse',
  'spammer@bad.example   Go away, spammer',
  '@junk.example',
  '^streamsendbouncer@.*\\.mailengine1\\.com$   Your right-hand side VERP does not fool me',
  'nobody-without-at-sign',
]

function load(args?: string) {
  return loadPluginForTest(plugin, { args, config: { badmailfrom: BADMAILFROM } })
}

async function run(h: PluginHarness, sender: string, recipients: string[], relay = false) {
  const s = h.session({ relayClient: relay })
  s.begin()
  const mail = await h.first('mail', s, testAddress(sender), new Map())
  const rcpts = []
  for (const r of recipients) rcpts.push(await h.first('rcpt', s, testAddress(r), new Map()))
  return { s, mail, rcpts }
}

describe('check_badmailfrom', () => {
  it('declares its name, alias and core range as its package.json does', () => {
    expect(plugin.name).toBe('check_badmailfrom')
    expect(plugin.aliases).toEqual(['badmailfrom'])
    expect(pkg.postern).toEqual({ plugin: 'check_badmailfrom', aliases: ['badmailfrom'] })
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('accepts senders that are not listed (no verdict: the next plugin decides)', async () => {
    const h = await load()
    const { mail, rcpts } = await run(h, 'alice@good.example', ['bob@example.com'])
    expect(mail.code).toBe(DECLINED)
    expect(rcpts[0]!.code).toBe(DECLINED)
    expect(h.logs.some((e) => e.message === 'pass' && e.hook === 'mail')).toBe(true)
  })

  it('holds the refusal until RCPT and refuses every recipient with the line reason', async () => {
    const h = await load()
    const { mail, rcpts } = await run(h, 'Spammer@BAD.example', ['a@example.com', 'b@example.com'])
    expect(mail.code).toBe(DECLINED)
    for (const r of rcpts)
      expect(r).toMatchObject({
        code: DENY,
        enhanced: '5.7.1',
        message: ['Go away, spammer'],
        plugin: 'check_badmailfrom',
      })
  })

  it('matches @host entries with the default reason', async () => {
    const h = await load()
    const { rcpts } = await run(h, 'anyone@junk.example', ['a@example.com'])
    expect(rcpts[0]).toMatchObject({
      code: DENY,
      enhanced: '5.7.1',
      message: ['Your envelope sender is in my badmailfrom list'],
    })
    expect((await run(h, 'anyone@sub.junk.example', ['a@example.com'])).rcpts[0]!.code).toBe(DECLINED)
  })

  it('matches pattern entries', async () => {
    const h = await load()
    const { rcpts } = await run(h, 'streamsendbouncer@x.mailengine1.com', ['a@example.com'])
    expect(rcpts[0]).toMatchObject({ code: DENY, message: ['Your right-hand side VERP does not fool me'] })
  })

  it('warns about lines without an @ at load, with file and line', async () => {
    const h = await load()
    await run(h, 'alice@good.example', [])
    expect(h.logs.some((e) => /badmailfrom:5: no @ sign in "nobody-without-at-sign"/.test(e.message))).toBe(
      true,
    )
  })

  it('skips the null sender, relay clients and whitelisted recipients', async () => {
    const h = await load()
    expect((await run(h, '<>', ['a@example.com'])).rcpts[0]!.code).toBe(DECLINED)
    expect((await run(h, 'spammer@bad.example', ['a@example.com'], true)).rcpts[0]!.code).toBe(DECLINED)
    const s = h.session()
    s.begin({ notes: { [NOTE.whitelistSender]: 1 } })
    await h.first('mail', s, testAddress('spammer@bad.example'), new Map())
    expect((await h.first('rcpt', s, testAddress('a@example.com'), new Map())).code).toBe(DECLINED)
    const s2 = h.session()
    s2.begin()
    await h.first('mail', s2, testAddress('spammer@bad.example'), new Map())
    const abuse = testAddress('abuse@example.com')
    abuse.notes.set(NOTE.whitelistRcpt, true)
    expect((await h.first('rcpt', s2, abuse, new Map())).code).toBe(DECLINED)
    expect((await h.first('rcpt', s2, testAddress('other@example.com'), new Map())).code).toBe(DENY)
  })

  it('honours reject_type temp', async () => {
    const h = await load('reject_type temp')
    const { rcpts } = await run(h, 'spammer@bad.example', ['a@example.com'])
    expect(rcpts[0]).toMatchObject({ code: DENYSOFT, enhanced: '4.7.1', message: ['Go away, spammer'] })
  })

  it('only logs with reject 0', async () => {
    const h = await load('reject 0')
    const { rcpts } = await run(h, 'spammer@bad.example', ['a@example.com'])
    expect(rcpts[0]!.code).toBe(DECLINED)
    expect(h.logs.some((e) => e.message.startsWith('fail, tolerated'))).toBe(true)
  })

  it('defers with reject naughty, once per transaction', async () => {
    const h = await load('reject naughty')
    const { s, rcpts } = await run(h, 'spammer@bad.example', ['a@example.com', 'b@example.com'])
    expect(rcpts.map((r) => r.code)).toEqual([DECLINED, DECLINED])
    expect(deferredReject(s.connection)).toMatchObject({
      code: DENY,
      message: ['Go away, spammer'],
      enhanced: '5.7.1',
    })
  })

  it('sees changes to badmailfrom while running, and keeps the last good list after a bad edit', async () => {
    const h = await load()
    await run(h, 'alice@good.example', [])
    h.writeConfig('badmailfrom', ['alice@good.example  changed our mind'])
    expect((await run(h, 'alice@good.example', ['a@example.com'])).rcpts[0]).toMatchObject({
      code: DENY,
      message: ['changed our mind'],
    })
    h.writeConfig('badmailfrom', ['^(a+)+$'])
    expect((await run(h, 'alice@good.example', ['a@example.com'])).rcpts[0]!.code).toBe(DENY)
    expect(
      h.logs.some((e) => /config change rejected.*badmailfrom:1: pattern \^\(a\+\)\+\$/.test(e.message)),
    ).toBe(true)
  })

  it('refuses to load a pattern that is not a valid regex, naming file and line', async () => {
    await expect(
      loadPlugin(plugin, { config: { badmailfrom: ['ok@example.com', '^foo(@bar$'] } }),
    ).rejects.toThrow(/badmailfrom:2: pattern \^foo\(@bar\$: not a valid regular expression/)
  })

  it('refuses to load a pattern that backtracks catastrophically', async () => {
    await expect(
      loadPlugin(plugin, { config: { badmailfrom: ['^(\\w+\\.?)+@example\\.com$'] } }),
    ).rejects.toThrow(/badmailfrom:1: pattern .*exponential backtracking/)
  })

  it('treats __proto__ addresses as ordinary data', async () => {
    const h = await loadPluginForTest(plugin, {
      config: { badmailfrom: ['__proto__@example.com', '@constructor.example'] },
    })
    expect((await run(h, '__proto__@example.com', ['a@example.com'])).rcpts[0]!.code).toBe(DENY)
    expect((await run(h, 'toString@example.com', ['a@example.com'])).rcpts[0]!.code).toBe(DECLINED)
    expect((await run(h, 'x@constructor.example', ['__proto__@example.com'])).rcpts[0]!.code).toBe(DENY)
  })
})
