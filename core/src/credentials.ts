/**
 * Checking SASL credentials against a stored clear-text password, for auth plugins: PLAIN and
 * LOGIN compare the password, CRAM-MD5 recomputes the HMAC of the challenge. Comparisons take
 * constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { AuthCredentials } from './hook-types.js'

function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** True when the credentials prove knowledge of `password`. */
export function verifyCredentials(credentials: AuthCredentials, password: string): boolean {
  if (credentials.password !== undefined) return same(credentials.password, password)
  if (credentials.response !== undefined && credentials.challenge !== undefined) {
    const expected = createHmac('md5', password).update(credentials.challenge).digest('hex')
    return same(credentials.response.toLowerCase(), expected)
  }
  return false
}
