/**
 * Why a check is skipped for this session or recipient, in the words the log summary uses.
 * The session part is core's `isImmune()` (relay client, `whitelisthost`, `whitelistsender`);
 * the recipient part reads the address notes that whitelist and whitelist_soft set on each
 * whitelisted recipient (`whitelistrcpt`, and in per-recipient mode `whitelisthost` /
 * `whitelistsender`), so one whitelisted recipient does not exempt the others.
 */
import { type Address, type Connection, NOTE, type Transaction } from '@postern/core'

export function sessionImmunity(
  connection: Connection,
  transaction: Transaction | undefined,
): string | undefined {
  if (connection.relayClient) return 'relay client'
  if (connection.notes.flag(NOTE.whitelistHost)) return 'whitelisted host'
  if (transaction?.notes.flag(NOTE.whitelistSender)) return 'whitelisted sender'
  return undefined
}

export function recipientImmunity(recipient: Address): string | undefined {
  if (recipient.notes.flag(NOTE.whitelistRcpt)) return 'whitelisted recipient'
  if (recipient.notes.flag(NOTE.whitelistHost)) return 'host whitelisted by this recipient'
  if (recipient.notes.flag(NOTE.whitelistSender)) return 'sender whitelisted by this recipient'
  return undefined
}

/** Session immunity, else recipient immunity. */
export function immunity(
  connection: Connection,
  transaction: Transaction | undefined,
  recipient?: Address,
): string | undefined {
  return sessionImmunity(connection, transaction) ?? (recipient ? recipientImmunity(recipient) : undefined)
}
