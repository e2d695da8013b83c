/**
 * Addresses as RFC 5321 writes them in MAIL FROM and RCPT TO: `<user@host>`, `<>`, a bare
 * `<postmaster>`, quoted local parts, address literals (`[1.2.3.4]`, `[IPv6:…]`), source routes
 * (`<@a,@b:user@host>`, stripped). UTF-8 local parts and domains are accepted when asked (SMTPUTF8).
 */
import { isIP } from 'node:net'
import { Notes } from './notes.js'

export class AddressError extends Error {
  override readonly name = 'AddressError'
}

export interface AddressParseOptions {
  /** Accept UTF-8 in the local part and domain (the client said SMTPUTF8). */
  utf8?: boolean
  /** Accept a mailbox without the angle brackets (lenient clients). Default false. */
  allowBare?: boolean
  /** Accept `<postmaster>` without a domain (RFC 5321 §4.1.1.3 requires it for RCPT). Default true. */
  allowPostmaster?: boolean
}

// RFC 5322 atext; with SMTPUTF8 any non-ASCII character is atext too (RFC 6531).
const ATEXT_ASCII = "A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~"
const DOT_STRING = new RegExp(`^[${ATEXT_ASCII}]+(?:\\.[${ATEXT_ASCII}]+)*$`)
const DOT_STRING_UTF8 = new RegExp(
  `^[${ATEXT_ASCII}\\u0080-\\u{10FFFF}]+(?:\\.[${ATEXT_ASCII}\\u0080-\\u{10FFFF}]+)*$`,
  'u',
)
const SUB_DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/
const SUB_DOMAIN_UTF8 = /^[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]{0,61}[\p{L}\p{N}\p{M}])?$/u
const GENERAL_LITERAL = /^[A-Za-z0-9-]*[A-Za-z0-9]:[\x21-\x5a\x5e-\x7e]+$/

const MAX_LOCAL = 64
const MAX_DOMAIN = 255
const MAX_PATH = 256

export function isValidDomain(domain: string, utf8 = false): boolean {
  if (domain.length === 0 || domain.length > MAX_DOMAIN) return false
  const sub = utf8 ? SUB_DOMAIN_UTF8 : SUB_DOMAIN
  return domain.split('.').every((label) => sub.test(label))
}

/** `[1.2.3.4]`, `[IPv6:::1]` or a general literal `[tag:content]`. */
export function isValidAddressLiteral(literal: string): boolean {
  if (!literal.startsWith('[') || !literal.endsWith(']')) return false
  const inner = literal.slice(1, -1)
  if (isIP(inner) === 4) return true
  if (/^ipv6:/i.test(inner)) return isIP(inner.slice(5)) === 6
  return GENERAL_LITERAL.test(inner)
}

function isValidHost(host: string, utf8: boolean): boolean {
  return host.startsWith('[') ? isValidAddressLiteral(host) : isValidDomain(host, utf8)
}

function unquote(quoted: string): string {
  // quoted-pairSMTP is backslash + %d32-126; qtextSMTP excludes `"` and `\`.
  let out = ''
  for (let i = 1; i < quoted.length - 1; i++) {
    const ch = quoted[i]!
    if (ch === '\\') {
      const next = quoted[++i]
      if (next === undefined || i >= quoted.length - 1) throw new AddressError('Bad quoted local part')
      out += next
    } else if (ch === '"') {
      throw new AddressError('Bad quoted local part')
    } else out += ch
  }
  return out
}

function parseLocalPart(local: string, utf8: boolean): string {
  if (local.startsWith('"')) {
    if (local.length < 2 || !local.endsWith('"')) throw new AddressError('Bad quoted local part')
    const value = unquote(local)
    for (const ch of value) {
      const c = ch.codePointAt(0)!
      if (c < 32 || c === 127 || (c > 127 && !utf8)) throw new AddressError('Bad character in local part')
    }
    return value
  }
  if (!(utf8 ? DOT_STRING_UTF8 : DOT_STRING).test(local)) throw new AddressError('Bad local part')
  return local
}

/** Splits `local@host` at the last `@` that is outside a quoted string. */
function splitMailbox(mailbox: string): [string, string] {
  let inQuote = false
  let at = -1
  for (let i = 0; i < mailbox.length; i++) {
    const ch = mailbox[i]
    if (ch === '\\' && inQuote) i++
    else if (ch === '"') inQuote = !inQuote
    else if (ch === '@' && !inQuote) at = i
  }
  if (inQuote) throw new AddressError('Unterminated quoted local part')
  if (at < 0) throw new AddressError('Address has no domain')
  return [mailbox.slice(0, at), mailbox.slice(at + 1)]
}

/** A parsed envelope address. The null sender `<>` has an empty user and host. */
export class Address {
  readonly notes = new Notes()

  constructor(
    /** The local part, unquoted. */
    readonly user: string,
    /** The domain (lower-cased) or address literal; empty for `<>` and bare postmaster. */
    readonly host: string,
  ) {}

  static readonly NULL_PATH = '<>'

  /** The null reverse-path `<>`. */
  static null(): Address {
    return new Address('', '')
  }

  /** Parses a path as written after `MAIL FROM:` or `RCPT TO:`; throws AddressError. */
  static parse(input: string, options: AddressParseOptions = {}): Address {
    const utf8 = options.utf8 ?? false
    let text = input.trim()
    if (text.length > MAX_PATH + 2) throw new AddressError('Path too long')
    if (text.startsWith('<')) {
      if (!text.endsWith('>')) throw new AddressError('Missing closing angle bracket')
      text = text.slice(1, -1)
    } else if (!options.allowBare) {
      throw new AddressError('Address must be in angle brackets')
    }
    if (text === '') return Address.null()
    // A source route (`@a,@b:`) is obsolete and must be ignored (RFC 5321 §3.3, C).
    if (text.startsWith('@')) {
      const colon = text.indexOf(':')
      if (colon < 0) throw new AddressError('Bad source route')
      const hops = text.slice(0, colon).split(',')
      if (!hops.every((hop) => hop.startsWith('@') && isValidDomain(hop.slice(1), utf8)))
        throw new AddressError('Bad source route')
      text = text.slice(colon + 1)
    }
    if ((options.allowPostmaster ?? true) && text.toLowerCase() === 'postmaster') return new Address(text, '')
    const [local, host] = splitMailbox(text)
    if (local.length === 0) throw new AddressError('Empty local part')
    if (Buffer.byteLength(local) > MAX_LOCAL) throw new AddressError('Local part too long')
    const user = parseLocalPart(local, utf8)
    if (!isValidHost(host, utf8)) throw new AddressError('Bad domain')
    return new Address(user, host.startsWith('[') ? host : host.toLowerCase())
  }

  /** Parses, returning undefined instead of throwing. */
  static tryParse(input: string, options?: AddressParseOptions): Address | undefined {
    try {
      return Address.parse(input, options)
    } catch {
      return undefined
    }
  }

  get isNull(): boolean {
    return this.user === '' && this.host === ''
  }

  /** `user@host` without brackets ('' for the null path, `postmaster` for bare postmaster). */
  get address(): string {
    if (this.isNull) return ''
    const local = Address.quoteLocal(this.user)
    return this.host ? `${local}@${this.host}` : local
  }

  /** The path with brackets: `<user@host>` or `<>`. */
  format(): string {
    return `<${this.address}>`
  }

  toString(): string {
    return this.format()
  }

  /** Case-insensitive comparison of the whole address (local parts are compared case-insensitively, as most sites do). */
  equals(other: Address): boolean {
    return this.user.toLowerCase() === other.user.toLowerCase() && this.host === other.host
  }

  /** The local part quoted if it is not a valid dot-string. */
  static quoteLocal(user: string): string {
    if (DOT_STRING_UTF8.test(user)) return user
    return `"${user.replace(/(["\\])/g, '\\$1')}"`
  }
}
