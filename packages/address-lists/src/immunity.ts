/**
 * Why a check is skipped for this session or recipient, in the words the log summary uses.
 * The rule is core's (`immunity()`: relay client, `whitelisthost`, `whitelistsender`, and the
 * notes whitelist and whitelist_soft set on a recipient); the session half is named here for
 * plugins that decide for the session at MAIL and for each recipient at RCPT separately.
 */
import { type Connection, immunity, recipientImmunity, type Transaction } from '@postern/core'

export { immunity, recipientImmunity }

/** Relay client, whitelisted host or sender: what exempts the whole session. */
export function sessionImmunity(
  connection: Connection,
  transaction: Transaction | undefined,
): string | undefined {
  return immunity(connection, transaction)
}
