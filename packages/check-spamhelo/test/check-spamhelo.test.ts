import { DECLINED, DENY, DENYSOFT, NOTE } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, type TestConnectionInit } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const BADHELO = [
  '# names spamware uses',
  'yahoo.com',
  'AOL.com',
  '^mx\\d+\\.spam\\.example$',
  '/\\.dynamic\\./',
]

function load(args = '', badhelo: string[] = BADHELO) {
  return loadPluginForTest(plugin, { args, config: { badhelo } })
}

function check(h: PluginHarness, host: string, conn: TestConnectionInit = {}) {
  return h.first('helo', h.session({ remoteIp: '192.0.2.10', ...conn }), host)
}

async function helo(host: string, args = '', conn: TestConnectionInit = {}, badhelo: string[] = BADHELO) {
  return check(await load(args, badhelo), host, conn)
}

describe('check_spamhelo', () => {
  it('declares its core range and aliases as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(plugin.aliases).toEqual(pkg.postern.aliases)
  })

  it('accepts an ordinary name', async () => {
    expect((await helo('mail.example.net')).code).toBe(DECLINED)
  })

  it('refuses a name in badhelo, case-insensitively, with 550 5.7.1', async () => {
    expect(await helo('Yahoo.COM')).toMatchObject({
      code: DENY,
      enhanced: '5.7.1',
      message: ['I do not believe you are Yahoo.COM.'],
      plugin: 'check_spamhelo',
    })
    expect((await helo('aol.com')).code).toBe(DENY)
  })

  it('refuses names matching a badhelo pattern, bare or slashed', async () => {
    expect((await helo('mx42.spam.example')).code).toBe(DENY)
    const h = await load()
    expect((await check(h, 'host.dynamic.isp.example')).code).toBe(DENY)
    expect(h.logs.some((l) => /badhelo \/\\\.dynamic\\\.\/ \(.*badhelo:5\)/.test(l.message))).toBe(true)
    expect((await helo('mx.spam.example')).code).toBe(DECLINED)
  })

  it('applies the lenient checks by default', async () => {
    expect(await helo('localhost')).toMatchObject({ code: DENY, message: ['You are not localhost'] })
    expect((await helo('localhost', '', { remoteIp: '127.0.0.1' })).code).toBe(DECLINED)
    expect((await helo('localhost', '', { remoteIp: '::1' })).code).toBe(DECLINED)
    expect(await helo('192.0.2.10')).toMatchObject({
      code: DENY,
      enhanced: '5.5.2',
      message: ['Plain IP is invalid HELO hostname (RFC 5321)'],
    })
    expect(await helo('[198.51.100.1]')).toMatchObject({
      code: DENY,
      message: ['Forged IPs not accepted here'],
    })
    expect((await helo('[192.0.2.10]')).code).toBe(DECLINED)
    expect((await helo('[192.0.2.10]', '', { remoteIp: '::ffff:192.0.2.10' })).code).toBe(DECLINED)
    expect((await helo('[IPv6:2001:db8::1]', '', { remoteIp: '2001:db8:0:0::1' })).code).toBe(DECLINED)
    expect((await helo('[IPv6:2001:db8::2]', '', { remoteIp: '2001:db8::1' })).code).toBe(DENY)
    expect((await helo('workstation')).code).toBe(DECLINED)
  })

  it('adds the FQDN checks with policy rfc, the literal refusal with strict', async () => {
    expect(await helo('workstation', 'policy rfc')).toMatchObject({
      code: DENY,
      message: ['HELO name is not fully qualified. Read RFC 5321'],
    })
    expect((await helo('bad_name.example', 'policy rfc')).message).toEqual([
      'HELO name contains invalid characters',
    ])
    expect((await helo('[192.0.2.10]', 'policy rfc')).code).toBe(DECLINED)
    expect((await helo('[192.0.2.10]', 'policy strict')).message).toEqual([
      'RFC 5321 allows an address literal, but we do not',
    ])
  })

  it('runs exactly the named tests, skipping the DNS ones', async () => {
    expect((await helo('yahoo.com', 'tests is_plain_ip,no_forward_dns')).code).toBe(DECLINED)
    expect((await helo('1.2.3.4', 'tests is_plain_ip,no_forward_dns')).code).toBe(DENY)
    expect((await helo('yahoo.com', 'tests is_in_badhelo')).code).toBe(DENY)
  })

  it('honours reject and reject_type', async () => {
    expect((await helo('yahoo.com', 'reject_type temp')).code).toBe(DENYSOFT)
    expect((await helo('yahoo.com', 'reject 0')).code).toBe(DECLINED)
    const h = await load('reject naughty')
    const s = h.session()
    expect((await h.first('ehlo', s, 'yahoo.com')).code).toBe(DECLINED)
    expect(s.connection.notes.get(NOTE.naughty)).toBe('I do not believe you are yahoo.com.')
  })

  it('skips relay clients and whitelisted HELO names', async () => {
    expect((await helo('yahoo.com', '', { relayClient: true })).code).toBe(DECLINED)
    expect((await helo('yahoo.com', '', { notes: { whitelisthelo: 1 } })).code).toBe(DECLINED)
  })

  it('adds an X-HELO header with add_header 1', async () => {
    const h = await loadPluginForTest(plugin, { args: 'add_header 1' })
    const s = h.session({ helloHost: 'mail.example.net' })
    const tx = s.begin({ message: 'Subject: x\n\nx\n' })
    await h.notify('data_post_headers', s)
    expect(tx.header!.get('X-HELO')).toBe('mail.example.net')
  })

  it('reports a bad badhelo pattern at load with file and line', async () => {
    await expect(loadPlugin(plugin, { config: { badhelo: ['ok.example', '(unclosed'] } })).rejects.toThrow(
      /badhelo:2: pattern \(unclosed: not a valid regular expression/,
    )
    await expect(loadPlugin(plugin, { config: { badhelo: ['^(a|a)*$'] } })).rejects.toThrow(
      /badhelo:1: .*backtracking/,
    )
    await expect(loadPlugin(plugin, { args: 'policy paranoid' })).rejects.toThrow(/policy must be/)
    await expect(loadPlugin(plugin, { args: 'tests is_bogus' })).rejects.toThrow(/unknown test/)
  })

  it('is safe with hostile names', async () => {
    expect((await helo('__proto__', '', {}, ['__proto__'])).code).toBe(DENY)
    expect((await helo('constructor')).code).toBe(DECLINED)
    expect((await helo(`${'a'.repeat(100_000)}.dynamic.x`)).code).toBe(DECLINED) // cut to 255 before the regex
  })
})
