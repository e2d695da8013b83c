import { describe, expect, it } from 'vitest'
import { parseEndpoint } from '../src/endpoint.js'
import { mailParamsFor } from '../src/mail-params.js'
import { parsePluginWords } from '../src/plugin-words.js'

describe('parseEndpoint', () => {
  it('reads host, host:port, [IPv6]:port and unix sockets', () => {
    expect(parseEndpoint('relay.example', 25)).toEqual({ host: 'relay.example', port: 25 })
    expect(parseEndpoint('127.0.0.1:2525', 25)).toEqual({ host: '127.0.0.1', port: 2525 })
    expect(parseEndpoint('[2001:db8::1]:24', 25)).toEqual({ host: '2001:db8::1', port: 24 })
    expect(parseEndpoint('unix:/run/dovecot/lmtp', 24)).toEqual({ path: '/run/dovecot/lmtp' })
    expect(parseEndpoint('/run/dovecot/lmtp', 24)).toEqual({ path: '/run/dovecot/lmtp' })
  })

  it('refuses what is not one', () => {
    expect(() => parseEndpoint('2001:db8::1', 25)).toThrow(/brackets/)
    expect(() => parseEndpoint('host:0', 25)).toThrow(/bad port/)
    expect(() => parseEndpoint('unix:relative', 25)).toThrow(/absolute/)
    expect(() => parseEndpoint('bad host', 25)).toThrow(/not a host/)
  })
})

describe('parsePluginWords', () => {
  const opts = { maxPositional: 2, keys: ['tls'] }
  it('takes leading positional words, then known key/value pairs', () => {
    const w = parsePluginWords('p', ['relay', '25', 'tls', 'require', 'hook_timeout', '5'], opts)
    expect(w.positional).toEqual(['relay', '25'])
    expect([...w.pairs]).toEqual([
      ['tls', 'require'],
      ['hook_timeout', '5'],
    ])
  })

  it('accepts the core keys after any number of positional words', () => {
    expect([...parsePluginWords('p', ['relay', 'loglevel', '7'], opts).pairs]).toEqual([['loglevel', '7']])
  })

  it('refuses unknown keys and missing values', () => {
    expect(() => parsePluginWords('p', ['relay', '25', 'tsl', 'x'], opts)).toThrow(/unknown argument "tsl"/)
    expect(() => parsePluginWords('p', ['relay', '25', 'tls'], opts)).toThrow(/needs a value/)
  })
})

describe('mailParamsFor', () => {
  const caps = (...k: string[]) => new Map(k.map((x) => [x, '']))
  it('sends SIZE, BODY and SMTPUTF8 only when offered', () => {
    const f = mailParamsFor({ size: 100, body: '8bitmime', smtputf8: true, addresses: ['<a@x>'] }, 'hop')
    expect(f(caps('SIZE', '8BITMIME', 'SMTPUTF8'))).toEqual({
      params: ['SIZE=100', 'BODY=8BITMIME', 'SMTPUTF8'],
    })
    expect(f(caps())).toEqual({ params: [] })
  })

  it('refuses a UTF-8 envelope to a server without SMTPUTF8 (553 5.6.7)', () => {
    const f = mailParamsFor({ smtputf8: true, addresses: ['<jöran@x.example>'] }, 'smarthost')
    expect(f(caps('SMTPUTF8'))).toEqual({ params: ['SMTPUTF8'] })
    expect(f(caps())).toEqual({
      refuse: {
        code: 553,
        enhanced: '5.6.7',
        lines: ['SMTPUTF8 is required, but was not offered by the smarthost'],
      },
    })
  })
})
