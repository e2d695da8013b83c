import { describe, expect, it } from 'vitest'
import { lookupDomain } from '../src/index.js'

describe('lookupDomain', () => {
  it('gives the A-label form DNS wants', () => {
    expect(lookupDomain('Mail.Example.COM')).toBe('mail.example.com')
    expect(lookupDomain('example.org.')).toBe('example.org')
    expect(lookupDomain('bücher.example')).toBe('xn--bcher-kva.example')
  })

  it('gives nothing for what no DNS name can be', () => {
    for (const host of [
      undefined,
      '',
      '[192.0.2.1]',
      '[IPv6:2001:db8::1]',
      'localhost',
      'bad_host.example',
      '-x.example',
    ])
      expect(lookupDomain(host), String(host)).toBeUndefined()
  })
})
