import { DECLINED, DENY, DENYSOFT } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const PATTERNS = [
  '%            Sorry, no percent hack here',
  '!            Bang paths are history',
  '@.*@',
  'local',
]

function load(args?: string) {
  return loadPluginForTest(plugin, { args, config: { badrcptto_patterns: PATTERNS } })
}

async function rcpt(h: PluginHarness, recipient: string) {
  const s = h.session()
  s.begin()
  return h.first('rcpt', s, testAddress(recipient), new Map())
}

describe('check_badrcptto_patterns', () => {
  it('is check_badrcptto_patterns', () => {
    expect(pkg.postern).toEqual({ plugin: 'check_badrcptto_patterns' })
  })

  it('refuses with the line response', async () => {
    const h = await load()
    expect(await rcpt(h, 'a%b@example.com')).toMatchObject({
      code: DENY,
      enhanced: '5.1.1',
      message: ['Sorry, no percent hack here'],
    })
    expect(await rcpt(h, '"a!b"@example.com')).toMatchObject({ message: ['Bang paths are history'] })
  })

  it('uses a default text for lines without a response; every line is a pattern', async () => {
    const h = await load()
    expect(await rcpt(h, '"a@b"@example.com')).toMatchObject({
      message: ['Mail to "a@b"@example.com not accepted here'],
    })
    expect((await rcpt(h, 'LOCALHOST@example.com')).code).toBe(DENY)
  })

  it('accepts others', async () => {
    const h = await load()
    expect((await rcpt(h, 'alice@example.com')).code).toBe(DECLINED)
  })

  it('honours reject_type temp and reject 0', async () => {
    expect((await rcpt(await load('reject_type temp'), 'a%b@example.com')).code).toBe(DENYSOFT)
    expect((await rcpt(await load('reject 0'), 'a%b@example.com')).code).toBe(DECLINED)
  })

  it('reports invalid and catastrophic patterns at load with file and line', async () => {
    await expect(
      loadPlugin(plugin, { config: { badrcptto_patterns: ['%', '(  unbalanced'] } }),
    ).rejects.toThrow(/badrcptto_patterns:2: pattern \(: not a valid regular expression/)
    await expect(loadPlugin(plugin, { config: { badrcptto_patterns: ['^([a-z]+)*@'] } })).rejects.toThrow(
      /badrcptto_patterns:1: .*exponential/,
    )
  })

  it('sees config changes', async () => {
    const h = await load()
    await rcpt(h, 'alice@example.com')
    h.writeConfig('badrcptto_patterns', '^alice@\n')
    expect((await rcpt(h, 'alice@example.com')).code).toBe(DENY)
  })
})
