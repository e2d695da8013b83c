import { definePlugin, verifyCredentials } from '@postern/core'
import { afterEach, describe, expect, it } from 'vitest'
import { engine, type TestEngine } from './helpers.js'

const b64 = (s: string) => Buffer.from(s).toString('base64')
const users = definePlugin({
  name: 'users',
  core: '^1.0.0',
  hooks: {
    auth: (_c, creds) =>
      creds.user === 'alice' && verifyCredentials(creds, 'pw') ? { code: 900 } : { code: 901 },
  },
})

let e: TestEngine | undefined
afterEach(async () => {
  await e?.close()
  e = undefined
})

async function ready(plaintext = true) {
  e = await engine({ plugins: [users], config: plaintext ? { auth_allow_plaintext: '1\n' } : {} })
  const s = await e.open()
  await s.greeting
  return s
}

describe('AUTH', () => {
  it('advertises mechanisms from the auth hooks and accepts PLAIN with an initial response', async () => {
    const s = await ready()
    expect(await s.command('EHLO c')).toMatch(/^250[- ]AUTH PLAIN LOGIN CRAM-MD5$/m)
    expect(await s.command(`AUTH PLAIN ${b64('\0alice\0pw')}`)).toBe(
      '235 2.7.0 PLAIN authentication successful for alice',
    )
    expect(s.connection.relayClient).toBe(true)
    expect(await s.command('AUTH PLAIN x')).toBe('503 5.5.1 Already authenticated')
  })

  it('LOGIN with prompts; a bad password is 535 with the client IP', async () => {
    const s = await ready()
    await s.command('EHLO c')
    expect(await s.command('AUTH LOGIN')).toBe(`334 ${b64('Username:')}`)
    expect(await s.command(b64('alice'))).toBe(`334 ${b64('Password:')}`)
    expect(await s.command(b64('nope'))).toBe(
      '535 5.7.8 LOGIN authentication failed for alice from 192.0.2.1',
    )
    expect(s.connection.auth).toBeUndefined()
  })

  it('CRAM-MD5 with a fresh challenge', async () => {
    const { createHmac } = await import('node:crypto')
    const s = await ready()
    await s.command('EHLO c')
    const challenge = Buffer.from((await s.command('AUTH CRAM-MD5')).slice(4), 'base64').toString()
    expect(challenge).toMatch(/^<[0-9a-f]{16}\.\d+@mx\.test\.example>$/)
    const digest = createHmac('md5', 'pw').update(challenge).digest('hex')
    expect(await s.command(b64(`alice ${digest}`))).toBe(
      '235 2.7.0 CRAM-MD5 authentication successful for alice',
    )
  })

  it('cancel, malformed input, control characters, a foreign authzid (535), and inside a transaction', async () => {
    const s = await ready()
    await s.command('EHLO c')
    await s.command('AUTH PLAIN')
    expect(await s.command('*')).toBe('501 5.0.0 Authentication cancelled')
    expect(await s.command('AUTH PLAIN !!!')).toBe('501 5.5.2 Malformed authentication response')
    expect(await s.command(`AUTH PLAIN ${b64('\0bob\r\nX-Evil: 1\0pw')}`)).toBe('501 5.5.2 Invalid user name')
    // RFC 4616 §2 / RFC 4954 §6: an authorization identity we do not allow fails the
    // authentication (535 5.7.8); no auth hook is asked.
    expect(await s.command(`AUTH PLAIN ${b64('admin\0alice\0pw')}`)).toBe(
      '535 5.7.8 PLAIN authentication failed for alice from 192.0.2.1',
    )
    expect(s.connection.auth).toBeUndefined()
    expect(await s.command('AUTH GSSAPI')).toBe('504 5.5.4 Unrecognized authentication type')
    await s.command('MAIL FROM:<a@example.org>')
    expect(await s.command(`AUTH PLAIN ${b64('\0alice\0pw')}`)).toBe(
      '503 5.5.1 AUTH is not allowed during a mail transaction',
    )
  })

  it('is not offered or accepted without TLS by default', async () => {
    const s = await ready(false)
    expect(await s.command('EHLO c')).not.toContain('AUTH')
    expect(await s.command(`AUTH PLAIN ${b64('\0alice\0pw')}`)).toBe('500 5.5.1 Unrecognized command')
  })
})
