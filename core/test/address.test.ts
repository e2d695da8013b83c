import { describe, expect, it } from 'vitest'
import { Address, AddressError } from '../src/index.js'

describe('Address.parse: RFC 5321 paths', () => {
  it.each([
    ['<user@example.com>', 'user', 'example.com', '<user@example.com>'],
    ['<User@EXAMPLE.com>', 'User', 'example.com', '<User@example.com>'],
    [
      '<first.last+tag@sub.example.org>',
      'first.last+tag',
      'sub.example.org',
      '<first.last+tag@sub.example.org>',
    ],
    ['<"john doe"@example.com>', 'john doe', 'example.com', '<"john doe"@example.com>'],
    ['<"a\\"b"@example.com>', 'a"b', 'example.com', '<"a\\"b"@example.com>'],
    ['<"@"@example.com>', '@', 'example.com', '<"@"@example.com>'],
    ['<user@[192.0.2.1]>', 'user', '[192.0.2.1]', '<user@[192.0.2.1]>'],
    ['<user@[IPv6:2001:db8::1]>', 'user', '[IPv6:2001:db8::1]', '<user@[IPv6:2001:db8::1]>'],
    ['<@relay.example,@other.example:user@example.com>', 'user', 'example.com', '<user@example.com>'],
    ['<postmaster>', 'postmaster', '', '<postmaster>'],
    ['<Postmaster>', 'Postmaster', '', '<Postmaster>'],
  ])('%s', (input, user, host, formatted) => {
    const a = Address.parse(input)
    expect(a.user).toBe(user)
    expect(a.host).toBe(host)
    expect(a.format()).toBe(formatted)
  })

  it('parses the null path', () => {
    const a = Address.parse('<>')
    expect(a.isNull).toBe(true)
    expect(a.format()).toBe('<>')
    expect(a.address).toBe('')
  })

  it('accepts a bare mailbox only when asked', () => {
    expect(() => Address.parse('user@example.com')).toThrow(AddressError)
    expect(Address.parse('user@example.com', { allowBare: true }).address).toBe('user@example.com')
  })

  it('accepts UTF-8 only with SMTPUTF8', () => {
    expect(() => Address.parse('<用户@例子.广告>')).toThrow(AddressError)
    const a = Address.parse('<用户@例子.广告>', { utf8: true })
    expect(a.user).toBe('用户')
    expect(a.host).toBe('例子.广告')
  })

  it.each([
    '<user@>',
    '<@example.com>',
    '<user>',
    '<user@example..com>',
    '<user@-example.com>',
    '<user@exa_mple.com>',
    '<us er@example.com>',
    '<user@example.com',
    'user@example.com>',
    '<user@[300.1.1.1]>',
    '<user@[IPv6:nothex]>',
    '<"unterminated@example.com>',
    '<a..b@example.com>',
    '<.a@example.com>',
    '<user@example.com> extra',
    `<${'a'.repeat(65)}@example.com>`,
    `<a@${'b'.repeat(64)}.com>`,
    `<a@${'b.'.repeat(130)}com>`,
    '<user\u0000@example.com>',
    '<"user\r\n"@example.com>',
    '<@bad route:user@example.com>',
  ])('refuses %j', (input) => {
    expect(() => Address.parse(input)).toThrow(AddressError)
  })

  // Each hostile string either fails with an AddressError saying why, or parses to a known shape.
  it.each([
    ['many <', '<'.repeat(10000), /Path too long/],
    ['many quotes', `<${'"'.repeat(300)}>`, /Path too long/],
    ['many backslashes', `<${'\\'.repeat(200)}@x>`, /Local part too long/],
    ['a noncharacter', '<\uFFFF@x.y>', /Bad local part/],
    ['object keys as names', '<__proto__@constructor>', { user: '__proto__', host: 'constructor' }],
    ['a quoted __proto__', '<"__proto__"@example.com>', { user: '__proto__', host: 'example.com' }],
  ])('hostile input: %s', (_what, input, expected) => {
    if (expected instanceof RegExp) {
      expect(() => Address.parse(input)).toThrow(AddressError)
      expect(() => Address.parse(input)).toThrow(expected)
    } else {
      const a = Address.parse(input)
      expect({ user: a.user, host: a.host }).toEqual(expected)
      expect(Object.getPrototypeOf(a)).toBe(Address.prototype)
    }
  })

  it('compares case-insensitively and keeps per-address notes', () => {
    const a = Address.parse('<A@Example.com>')
    expect(a.equals(Address.parse('<a@example.COM>'))).toBe(true)
    a.notes.set('__proto__', 'safe')
    expect(a.notes.get('__proto__')).toBe('safe')
    expect(Object.getPrototypeOf(a.notes)).not.toBe('safe')
  })
})
