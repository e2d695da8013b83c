import { describe, expect, it } from 'vitest'
import {
  Address,
  appendAuthResult,
  Connection,
  isSpecialRecipient,
  NOTE,
  removeAuthResults,
} from '../src/index.js'

const connection = () =>
  new Connection({ remoteIp: '192.0.2.1', remotePort: 40000, localIp: '127.0.0.1', localPort: 25 })

describe('Authentication-Results note', () => {
  it('appends entries and takes a plugin’s own out again, leaving the others', () => {
    const c = connection()
    appendAuthResult(c, 'dkim=pass header.d=example.org')
    appendAuthResult(c, 'spf=pass smtp.helo=mx.example.org', 'spf=fail smtp.mailfrom=example.org')
    expect(c.notes.get(NOTE.authResults)).toEqual([
      'dkim=pass header.d=example.org',
      'spf=pass smtp.helo=mx.example.org',
      'spf=fail smtp.mailfrom=example.org',
    ])
    removeAuthResults(c, ['spf=fail smtp.mailfrom=example.org'])
    expect(c.notes.get('authentication_results')).toEqual([
      'dkim=pass header.d=example.org',
      'spf=pass smtp.helo=mx.example.org',
    ])
  })
})

describe('isSpecialRecipient', () => {
  it('is postmaster, abuse, mailer-daemon and root at any domain', () => {
    for (const yes of [
      '<postmaster@example.com>',
      '<Abuse@example.org>',
      '<mailer-daemon@x.example>',
      '<root@x.example>',
    ])
      expect(isSpecialRecipient(Address.parse(yes))).toBe(true)
    expect(isSpecialRecipient(Address.parse('<alice@example.com>'))).toBe(false)
  })
})
