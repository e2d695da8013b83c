import type { ConfigLine } from '@postern/core'
import { describe, expect, it } from 'vitest'
import { credentialsFor, parseAuthFile } from '../src/auth-file.js'
import { parseRoutes, routeFor } from '../src/routes.js'

const lines = (...values: string[]): ConfigLine[] =>
  values.map((value, i) => ({ value, file: 'smtproutes', line: i + 1 }))

describe('smtproutes', () => {
  const routes = parseRoutes(
    lines(
      'example.com   mx.internal:2525',
      'example.org:relay.example.org',
      '.example.net  sub.relay',
      'v6.example:[2001:db8::1]:26',
      ':smarthost.example:587',
    ),
  )

  it('reads both spellings, subdomain entries, IPv6 relays and the default', () => {
    expect(routeFor(routes, 'example.com')).toEqual({ host: 'mx.internal', port: 2525 })
    expect(routeFor(routes, 'EXAMPLE.ORG')).toEqual({ host: 'relay.example.org', port: 25 })
    expect(routeFor(routes, 'a.b.example.net')).toEqual({ host: 'sub.relay', port: 25 })
    expect(routeFor(routes, 'v6.example')).toEqual({ host: '2001:db8::1', port: 26 })
    // `.example.net` is for subdomains only; the bare domain falls through to the default.
    expect(routeFor(routes, 'example.net')).toEqual({ host: 'smarthost.example', port: 587 })
    expect(routeFor(routes, 'sub.example.com')).toEqual({ host: 'smarthost.example', port: 587 })
    expect(routeFor(routes, '[192.0.2.1]')).toEqual({ host: 'smarthost.example', port: 587 })
  })

  it('has no default unless one is given', () => {
    expect(routeFor(parseRoutes(lines('example.com relay')), 'other.example')).toBeUndefined()
    expect(routeFor(parseRoutes(lines('* relay:2526')), 'other.example')).toEqual({
      host: 'relay',
      port: 2526,
    })
  })

  it('refuses bad lines with file and line', () => {
    expect(() => parseRoutes(lines('example.com relay', 'example.org:'))).toThrow(
      /smtproutes:2: .*MX delivery/,
    )
    expect(() => parseRoutes(lines('example.com relay:99999'))).toThrow(/smtproutes:1: .*bad port/)
    expect(() => parseRoutes(lines('exa$mple.com relay'))).toThrow(/bad domain/)
    expect(() => parseRoutes(lines('nocolon'))).toThrow(/has no relay/)
  })
})

describe('smtp_forward_auth', () => {
  const table = parseAuthFile(
    lines('relay.example:587 alice pass word #1', 'relay.example bob secret', '* carol other'),
  )

  it('matches host:port, then host, then *; the password is the rest of the line', () => {
    expect(credentialsFor(table, { host: 'relay.example', port: 587 })).toEqual({
      user: 'alice',
      password: 'pass word #1',
    })
    expect(credentialsFor(table, { host: 'RELAY.example', port: 25 })).toEqual({
      user: 'bob',
      password: 'secret',
    })
    expect(credentialsFor(table, { host: 'elsewhere', port: 25 })).toEqual({
      user: 'carol',
      password: 'other',
    })
  })

  it('does not echo a bad line (it may hold a password)', () => {
    expect(() => parseAuthFile(lines('relay.example onlyuser'))).toThrow(
      'smtproutes:1: want "relay user password"',
    )
  })
})
