/**
 * The conventions qpsmtpd's plugins share, so every plugin reads `reject`, `reject_type`
 * and the whitelist notes the same way.
 */

import type { Address } from './address.js'
import {
  DENY,
  DENY_DISCONNECT,
  DENYSOFT,
  DENYSOFT_DISCONNECT,
  type EnhancedCode,
  isTemporary,
  type Verdict,
} from './codes.js'
import type { Connection } from './connection.js'
import type { RefusalCode } from './dsn.js'
import type { PluginArgs } from './plugin-args.js'

/** Connection notes the conventions use; plugins that whitelist set these. */
export const NOTE = {
  /** Connection: the client is whitelisted (whitelist, dns_whitelist_soft). */
  whitelistHost: 'whitelisthost',
  /** Transaction: the sender is whitelisted. */
  whitelistSender: 'whitelistsender',
  /** Transaction: the recipient is whitelisted. */
  whitelistRcpt: 'whitelistrcpt',
  /** Connection: deferred reject messages (qpsmtpd's "naughty"), joined with CRLF. */
  naughty: 'naughty',
  /** Connection: the return code of the deferred reject. */
  naughtyRejectType: 'naughty_reject_type',
  /** Connection: the enhanced code of the deferred reject. */
  naughtyEnhanced: 'naughty_enhanced',
  /**
   * Connection: Authentication-Results method entries (`spf=pass smtp.mailfrom=example.com`),
   * an array of strings the engine writes into its Authentication-Results header.
   */
  authResults: 'authentication_results',
} as const

/** Adds method entries to the connection's Authentication-Results note. */
export function appendAuthResult(connection: Connection, ...entries: readonly string[]): void {
  const current = connection.notes.value<readonly string[]>(NOTE.authResults) ?? []
  connection.notes.set(NOTE.authResults, [...current, ...entries])
}

/** Takes entries a plugin added earlier out again (a new transaction has its own results). */
export function removeAuthResults(connection: Connection, entries: readonly string[]): void {
  const current = connection.notes.value<readonly string[]>(NOTE.authResults) ?? []
  connection.notes.set(
    NOTE.authResults,
    current.filter((e) => !entries.includes(e)),
  )
}

/**
 * Recipients a refused client may still write to: RFC 5321 section 4.5.1 wants postmaster
 * reachable, and a listed sender must be able to reach abuse desks to get delisted. The list
 * is qpsmtpd's; blocklist plugins let these through.
 */
const SPECIAL_RECIPIENTS: ReadonlySet<string> = new Set(['postmaster', 'abuse', 'mailer-daemon', 'root'])

/** postmaster, abuse, mailer-daemon or root, at any domain. */
export function isSpecialRecipient(rcpt: Address): boolean {
  return SPECIAL_RECIPIENTS.has(rcpt.user.toLowerCase())
}

/** `perm`/`hard` → DENY, `temp`/`soft` → DENYSOFT, `disconnect`, `temp_disconnect`. */
export function parseRejectType(text: string | undefined, fallback: RefusalCode = DENY): RefusalCode {
  switch (text?.trim().toLowerCase()) {
    case 'perm':
    case 'hard':
    case 'deny':
      return DENY
    case 'temp':
    case 'soft':
    case 'denysoft':
      return DENYSOFT
    case 'disconnect':
    case 'deny_disconnect':
      return DENY_DISCONNECT
    case 'temp_disconnect':
    case 'denysoft_disconnect':
      return DENYSOFT_DISCONNECT
    default:
      return fallback
  }
}

export type RejectMode = 'off' | 'on' | 'naughty'

/** The `reject` argument: `0` → off (log only), `naughty` → defer, anything else → on. */
export function parseRejectMode(args: PluginArgs, fallback: RejectMode = 'on'): RejectMode {
  const v = args.get('reject')?.trim().toLowerCase()
  if (v === undefined) return fallback
  if (v === '0' || v === 'no' || v === 'false' || v === 'off') return 'off'
  if (v === 'naughty') return 'naughty'
  return 'on'
}

function withClass(enhanced: EnhancedCode | undefined, code: RefusalCode): EnhancedCode | undefined {
  if (!enhanced) return undefined
  return `${isTemporary(code) ? 4 : 5}${enhanced.slice(1)}` as EnhancedCode
}

/** Remembers a reject so the engine applies it later (at the `deferred_reject_phase`). */
export function deferReject(
  connection: Connection,
  message: string,
  code: RefusalCode = DENY,
  enhanced?: EnhancedCode,
): void {
  const previous = connection.notes.string(NOTE.naughty)
  connection.notes.set(NOTE.naughty, previous ? `${previous}\r\n${message}` : message)
  connection.notes.set(NOTE.naughtyRejectType, code)
  if (enhanced) connection.notes.set(NOTE.naughtyEnhanced, enhanced)
}

/** The deferred reject stored on this connection, as a verdict, or undefined. */
export function deferredReject(connection: Connection): Verdict<RefusalCode> | undefined {
  const message = connection.notes.string(NOTE.naughty)
  if (!message) return undefined
  const code = (connection.notes.value<RefusalCode>(NOTE.naughtyRejectType) ?? DENY) as RefusalCode
  const enhanced = withClass(connection.notes.value<EnhancedCode>(NOTE.naughtyEnhanced) ?? '5.7.1', code)
  return enhanced
    ? { code, message: message.split('\r\n'), enhanced }
    : { code, message: message.split('\r\n') }
}

/** Builds a refusal verdict whose enhanced code class matches the code. */
export function refusal(code: RefusalCode, message: string, enhanced?: EnhancedCode): Verdict<RefusalCode> {
  const e = withClass(enhanced, code)
  return e ? { code, message, enhanced: e } : { code, message }
}
