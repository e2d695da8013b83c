/**
 * Address extensions (sub-addressing, RFC 5233): `alice+lists@example.com` or, qmail style,
 * `alice-lists@example.com`. The separator characters are a plugin argument.
 */

export interface SplitUser {
  /** The user name without the extension. */
  readonly base: string
  /** The separator and the extension (`+lists`), or '' when there is none. */
  readonly extension: string
}

/**
 * Splits at the first separator character that is not the first character of the user name
 * (so `-foo` and `+foo` stay whole); undefined when there is no extension.
 */
export function splitExtension(user: string, separators: string): SplitUser | undefined {
  if (!separators) return undefined
  for (let i = 1; i < user.length; i++) {
    if (separators.includes(user[i]!)) return { base: user.slice(0, i), extension: user.slice(i) }
  }
  return undefined
}
