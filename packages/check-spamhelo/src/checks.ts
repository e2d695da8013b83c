/**
 * The HELO checks that need no DNS, each returning why the name is refused (or undefined).
 * Names follow qpsmtpd's helo plugin so its `policy` and `tests` arguments keep their meaning.
 */
import { isIP } from 'node:net'
import { normalizeIp } from '@postern/address-lists'
import { type EnhancedCode, expandIpv6 } from '@postern/core'

export interface Failure {
  readonly message: string
  readonly enhanced: EnhancedCode
  readonly log: string
}

export interface HeloFacts {
  readonly host: string
  readonly remoteIp: string
}

type Check = (facts: HeloFacts) => Failure | undefined

const LITERAL = /^\[(?:ipv6:)?([^\]]+)\]$/i

function sameIp(a: string, b: string): boolean {
  const x = normalizeIp(a)
  const y = normalizeIp(b)
  if (isIP(x) === 6 && isIP(y) === 6) return expandIpv6(x) === expandIpv6(y)
  return x === y
}

function isLoopback(ip: string): boolean {
  const n = normalizeIp(ip)
  return n === '::1' || /^127\./.test(n) || (isIP(n) === 6 && expandIpv6(n) === expandIpv6('::1'))
}

export const CHECKS = {
  /** `localhost` from a client that is not on this machine. */
  invalid_localhost({ host, remoteIp }) {
    if (!/^localhost(\.localdomain)?\.?$/i.test(host) || isLoopback(remoteIp)) return
    return { message: 'You are not localhost', enhanced: '5.7.1', log: 'localhost from a remote client' }
  },
  /** A bare IP address: RFC 5321 §4.1.3 wants it in brackets. */
  is_plain_ip({ host }) {
    if (!isIP(host)) return
    return { message: 'Plain IP is invalid HELO hostname (RFC 5321)', enhanced: '5.5.2', log: 'plain IP' }
  },
  /** An address literal at all (strict policy). */
  is_address_literal({ host }) {
    if (!LITERAL.test(host)) return
    return {
      message: 'RFC 5321 allows an address literal, but we do not',
      enhanced: '5.5.2',
      log: 'address literal',
    }
  },
  /** An address literal that is not the client's own address. */
  is_forged_literal({ host, remoteIp }) {
    const m = LITERAL.exec(host)
    if (!m || sameIp(m[1]!, remoteIp)) return
    return { message: 'Forged IPs not accepted here', enhanced: '5.7.1', log: `forged literal ${host}` }
  },
  /** Not a fully qualified domain name, or characters no host name has. */
  is_not_fqdn({ host }) {
    if (LITERAL.test(host)) return
    if (!host.includes('.'))
      return {
        message: 'HELO name is not fully qualified. Read RFC 5321',
        enhanced: '5.5.2',
        log: 'not FQDN',
      }
    if (/[^a-zA-Z0-9.-]/.test(host))
      return {
        message: 'HELO name contains invalid characters',
        enhanced: '5.5.2',
        log: 'invalid characters',
      }
    return undefined
  },
} satisfies Record<string, Check>

export type CheckName = keyof typeof CHECKS

/** The DNS tests of qpsmtpd's helo plugin, accepted in `tests` and policies but run elsewhere. */
export const DNS_CHECKS = new Set(['no_forward_dns', 'no_reverse_dns', 'no_matching_dns'])

export const POLICIES: Readonly<Record<string, readonly CheckName[]>> = {
  lenient: ['invalid_localhost', 'is_plain_ip', 'is_forged_literal'],
  rfc: ['invalid_localhost', 'is_plain_ip', 'is_forged_literal', 'is_not_fqdn'],
  strict: ['invalid_localhost', 'is_plain_ip', 'is_forged_literal', 'is_not_fqdn', 'is_address_literal'],
}

export function isCheckName(name: string): name is CheckName {
  return Object.hasOwn(CHECKS, name)
}
