/**
 * The string a list entry is compared with: `user@host`, lower-cased, as qpsmtpd builds it
 * (`lc($user) . '@' . $host`). A bare `<postmaster>` is just `postmaster`; `<>` is ''.
 */
import type { Address } from '@postern/core'

export function addressKey(address: Address): string {
  if (address.isNull) return ''
  const user = address.user.toLowerCase()
  return address.host ? `${user}@${address.host.toLowerCase()}` : user
}

/** Splits a lower-cased `user@host` at its last `@` (local parts may be quoted and hold `@`). */
export function splitKey(key: string): { user: string; host: string } {
  const at = key.lastIndexOf('@')
  return at < 0 ? { user: key, host: '' } : { user: key.slice(0, at), host: key.slice(at + 1) }
}
