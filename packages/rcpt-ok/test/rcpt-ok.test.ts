import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { buildCdb } from '@postern/address-lists'
import { DECLINED, DENY, DENYSOFT, NOTE, OK } from '@postern/core'
import { loadPlugin, loadPluginForTest, openSession, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const CONFIG = {
  me: 'mx.example.com',
  rcpthosts: ['example.com', '.example.net', '__proto__'],
  morercpthosts: ['example.org'],
}

function load(args?: string) {
  return loadPluginForTest(plugin, { args, config: CONFIG })
}

async function rcpt(
  h: PluginHarness,
  recipient: string,
  options: { relay?: boolean; notes?: Record<string, unknown> } = {},
) {
  const s = h.session({ relayClient: options.relay ?? false, notes: options.notes ?? {} })
  s.begin()
  return h.first('rcpt', s, testAddress(recipient), new Map())
}

describe('rcpt_ok', () => {
  it('is rcpt_ok', () => {
    expect(pkg.postern).toEqual({ plugin: 'rcpt_ok' })
  })

  it('accepts rcpthosts, .suffix entries, morercpthosts and me', async () => {
    const h = await load()
    for (const r of [
      'a@example.com',
      'a@EXAMPLE.COM',
      'a@mail.example.net',
      'a@example.org',
      'a@mx.example.com',
    ])
      expect(await rcpt(h, r)).toMatchObject({ code: OK, plugin: 'rcpt_ok' })
  })

  it('accepts a bare postmaster', async () => {
    const h = await load()
    expect((await rcpt(h, '<postmaster>')).code).toBe(OK)
  })

  it('through the engine: abuse works at a local domain; a bare <abuse> never reaches plugins', async () => {
    const s = await openSession({ plugins: [plugin], config: CONFIG })
    try {
      await s.greeting
      await s.command('EHLO client.example')
      await s.command('MAIL FROM:<a@other.example>')
      expect(await s.command('RCPT TO:<abuse@example.com>')).toBe(
        '250 2.1.5 <abuse@example.com>, recipient ok',
      )
      expect(await s.command('RCPT TO:<Postmaster>')).toMatch(/^250 2\.1\.5 /)
      // RFC 5321 §4.1.1.3 makes only postmaster special without a domain.
      expect(await s.command('RCPT TO:<abuse>')).toMatch(/^501 5\.1\.3 /)
    } finally {
      await s.close()
    }
  })

  it('refuses other hosts: 5.7.1 Relaying denied', async () => {
    const h = await load()
    for (const r of ['a@other.example', 'a@example.net', 'a@sub.example.com', 'a@constructor'])
      expect(await rcpt(h, r)).toMatchObject({ code: DENY, enhanced: '5.7.1', message: ['Relaying denied'] })
  })

  it('lets relay clients send anywhere', async () => {
    const h = await load()
    expect((await rcpt(h, 'a@other.example', { relay: true })).code).toBe(OK)
  })

  it('lets whitelisted hosts and senders relay only when told to (immune host / all)', async () => {
    const host = { notes: { [NOTE.whitelistHost]: 1 } }
    expect((await rcpt(await load(), 'a@other.example', host)).code).toBe(DENY)
    expect((await rcpt(await load('immune host'), 'a@other.example', host)).code).toBe(OK)
    const h = await load('immune all')
    const s = h.session()
    s.begin({ notes: { [NOTE.whitelistSender]: 1 } })
    expect((await h.first('rcpt', s, testAddress('a@other.example'), new Map())).code).toBe(OK)
    await expect(loadPlugin(plugin, { args: 'immune everyone', config: CONFIG })).rejects.toThrow(
      /immune must be relay, host or all/,
    )
  })

  it('reads morercpthosts.cdb, with .suffix keys as qmail does', async () => {
    const h = await load()
    await rcpt(h, 'a@example.com')
    writeFileSync(path.join(h.configDir, 'morercpthosts.cdb'), buildCdb([['cdb.example'], ['.sub.example']]))
    expect((await rcpt(h, 'a@cdb.example')).code).toBe(OK)
    expect((await rcpt(h, 'a@x.sub.example')).code).toBe(OK)
    expect((await rcpt(h, 'a@sub.example')).code).toBe(DENY)
  })

  it('honours reject_type and reject 0', async () => {
    expect((await rcpt(await load('reject_type temp'), 'a@other.example')).code).toBe(DENYSOFT)
    expect((await rcpt(await load('reject 0'), 'a@other.example')).code).toBe(DECLINED)
  })

  it('sees rcpthosts and me change', async () => {
    const h = await load()
    await rcpt(h, 'a@example.com')
    h.writeConfig('rcpthosts', ['new.example'])
    h.writeConfig('me', 'other-mx.example\n')
    expect((await rcpt(h, 'a@new.example')).code).toBe(OK)
    expect((await rcpt(h, 'a@other-mx.example')).code).toBe(OK)
    expect((await rcpt(h, 'a@example.com')).code).toBe(DENY)
  })
})
