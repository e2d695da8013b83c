/**
 * Recipients a blocklisted client may still write to: RFC 5321 §4.5.1 wants postmaster reachable,
 * and a listed sender must be able to reach abuse desks to get delisted. The list is qpsmtpd's.
 */
import type { Address } from '@postern/core'

const SPECIAL = new Set(['postmaster', 'abuse', 'mailer-daemon', 'root'])

export function isSpecialRecipient(rcpt: Address): boolean {
  return SPECIAL.has(rcpt.user.toLowerCase())
}
