import { DECLINED, DENY, DENYSOFT } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const DAY = 24 * 3600 * 1000
const now = () => new Date().toUTCString()
const ago = (days: number) => new Date(Date.now() - days * DAY).toUTCString()

function check(h: PluginHarness, text: string, init: { relayClient?: boolean } = {}) {
  const s = h.session({ relayClient: init.relayClient ?? false })
  s.begin({ sender: 'a@example.com', recipients: ['b@example.org'], message: text })
  return h.first('data_post', s)
}

async function run(text: string, args = '', init: { relayClient?: boolean } = {}) {
  return check(await loadPluginForTest(plugin, { args }), text, init)
}

describe('check_basicheaders', () => {
  it('declares its core range and aliases as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(plugin.aliases).toEqual(pkg.postern.aliases)
  })

  it('accepts a message with From and Date', async () => {
    expect((await run(`From: a@example.com\nDate: ${now()}\n\nhi\n`)).code).toBe(DECLINED)
  })

  it('refuses a message without From, with 5.6.0 and the header named', async () => {
    expect(await run(`Date: ${now()}\nSubject: x\n\nhi\n`)).toMatchObject({
      code: DENY,
      enhanced: '5.6.0',
      message: ['We require a valid From header'],
      plugin: 'check_basicheaders',
    })
  })

  it('refuses a message without Date, or with an empty one', async () => {
    expect((await run('From: a@example.com\n\nhi\n')).message).toEqual(['We require a valid Date header'])
    expect((await run('From: a@example.com\nDate:\n\nhi\n')).message).toEqual([
      'We require a valid Date header',
    ])
  })

  it('refuses an empty message even from a relay client', async () => {
    expect(await run('', '', { relayClient: true })).toMatchObject({
      code: DENY,
      enhanced: '5.6.0',
      message: ['You must send some data first'],
    })
  })

  it('skips the header checks for immune clients', async () => {
    expect((await run('Subject: x\n\nhi\n', '', { relayClient: true })).code).toBe(DECLINED)
  })

  it('refuses two From headers', async () => {
    const r = await run(`From: a@example.com\nFrom: b@example.com\nDate: ${now()}\n\nhi\n`)
    expect(r).toMatchObject({
      code: DENY,
      message: ['Only one From header allowed. See RFC 5322, Section 3.6'],
    })
  })

  it('honours require and singular', async () => {
    const text = `From: a@example.com\nFrom: b@example.com\n\nhi\n`
    expect((await run(text, 'require From singular none')).code).toBe(DECLINED)
    expect((await run(text, 'require From,Subject singular none')).message).toEqual([
      'We require a valid Subject header',
    ])
  })

  it('reads name/value pairs after the old positional day count', async () => {
    const text = `From: a@example.com\nFrom: b@example.com\nDate: ${ago(3)}\n\nhi\n`
    expect((await run(text, '5 singular none')).code).toBe(DECLINED)
    expect(await run(`From: a@x.com\nDate: ${ago(6)}\n\nhi\n`, '5 singular none')).toMatchObject({
      code: DENY,
      message: ['The Date header is too far in the past'],
    })
  })

  it('checks the Date range with past and future', async () => {
    expect((await run(`From: a@x.com\nDate: ${ago(10)}\n\nhi\n`, 'past 30')).code).toBe(DECLINED)
    expect(await run(`From: a@x.com\nDate: ${ago(40)}\n\nhi\n`, 'past 30')).toMatchObject({
      code: DENY,
      message: ['The Date header is too far in the past'],
    })
    expect((await run(`From: a@x.com\nDate: ${ago(-3)}\n\nhi\n`, 'future 2')).message).toEqual([
      'The Date header is too far in the future',
    ])
    expect((await run(`From: a@x.com\nDate: ${ago(-3)}\n\nhi\n`, 'past 2')).code).toBe(DECLINED)
  })

  it('reads the old positional number of days for both directions', async () => {
    expect((await run(`From: a@x.com\nDate: ${ago(6)}\n\nhi\n`, '5')).code).toBe(DENY)
    expect((await run(`From: a@x.com\nDate: ${ago(-6)}\n\nhi\n`, '5')).code).toBe(DENY)
    expect((await run(`From: a@x.com\nDate: ${ago(4)}\n\nhi\n`, '5')).code).toBe(DECLINED)
  })

  it('refuses an unparsable Date when a range is configured', async () => {
    expect((await run('From: a@x.com\nDate: yesterday-ish\n\nhi\n', 'past 5')).message).toEqual([
      'The Date header is not a valid date',
    ])
    expect((await run('From: a@x.com\nDate: yesterday-ish\n\nhi\n')).code).toBe(DECLINED)
  })

  it('honours reject_type temp and reject 0', async () => {
    expect((await run('Subject: x\n\nhi\n', 'reject_type temp')).code).toBe(DENYSOFT)
    const h = await loadPluginForTest(plugin, { args: 'reject 0' })
    expect((await check(h, 'Subject: x\n\nhi\n')).code).toBe(DECLINED)
    expect(h.logs.some((l) => l.message === 'fail, tolerated, no From header')).toBe(true)
  })

  it('refuses bad arguments at load', async () => {
    await expect(loadPlugin(plugin, { args: 'past soon' })).rejects.toThrow(/past must be a number of days/)
  })

  it('is not confused by a __proto__ header', async () => {
    const r = await run(`__proto__: x\nconstructor: y\nFrom: a@x.com\nDate: ${now()}\n\nhi\n`)
    expect(r.code).toBe(DECLINED)
  })
})
