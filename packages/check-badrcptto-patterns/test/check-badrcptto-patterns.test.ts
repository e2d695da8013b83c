import { DECLINED, DENY, DENYSOFT } from '@postern/core'
import { loadPlugin, type PluginHarness, testAddress } from '@postern/testing'
import { afterEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const PATTERNS = [
  '%            Sorry, no percent hack here',
  '!            Bang paths are history',
  '@.*@',
  'local',
]

let h: PluginHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

async function rcpt(recipient: string, args?: string) {
  h ??= await loadPlugin(plugin, { args, config: { badrcptto_patterns: PATTERNS } })
  const s = h.session()
  s.begin()
  return h.first('rcpt', s, testAddress(recipient), new Map())
}

describe('check_badrcptto_patterns', () => {
  it('is check_badrcptto_patterns', () => {
    expect(pkg.postern).toEqual({ plugin: 'check_badrcptto_patterns' })
  })

  it('refuses with the line response', async () => {
    expect(await rcpt('a%b@example.com')).toMatchObject({
      code: DENY,
      enhanced: '5.1.1',
      message: ['Sorry, no percent hack here'],
    })
    expect(await rcpt('"a!b"@example.com')).toMatchObject({ message: ['Bang paths are history'] })
  })

  it('uses a default text for lines without a response; every line is a pattern', async () => {
    expect(await rcpt('"a@b"@example.com')).toMatchObject({
      message: ['Mail to "a@b"@example.com not accepted here'],
    })
    expect((await rcpt('LOCALHOST@example.com')).code).toBe(DENY)
  })

  it('accepts others', async () => {
    expect((await rcpt('alice@example.com')).code).toBe(DECLINED)
  })

  it('honours reject_type temp and reject 0', async () => {
    expect((await rcpt('a%b@example.com', 'reject_type temp')).code).toBe(DENYSOFT)
    await h!.close()
    h = undefined
    expect((await rcpt('a%b@example.com', 'reject 0')).code).toBe(DECLINED)
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
    await rcpt('alice@example.com')
    h!.writeConfig('badrcptto_patterns', '^alice@\n')
    expect((await rcpt('alice@example.com')).code).toBe(DENY)
  })
})
