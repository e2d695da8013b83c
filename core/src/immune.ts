/**
 * Who the filters leave alone: relay clients, and what the whitelist plugins marked. A whitelist
 * can mark the whole session (connection note `whitelisthost`, transaction note
 * `whitelistsender`) or one recipient: `whitelistrcpt` on the recipient's address, and with
 * `whitelist per_recipient 1` also `whitelisthost` / `whitelistsender` on that address only (the
 * client or sender is whitelisted for this recipient, not for the others). RCPT-time filters
 * pass the recipient so both kinds count.
 */
import type { Address } from './address.js'
import type { Connection } from './connection.js'
import { NOTE } from './conventions.js'
import type { Transaction } from './transaction.js'

/** Why a session (or one recipient of it) is immune, for logs; undefined when it is not. */
export type ImmunityReason =
  | 'relay client'
  | 'whitelisted host'
  | 'whitelisted sender'
  | 'whitelisted recipient'
  | 'host whitelisted by this recipient'
  | 'sender whitelisted by this recipient'

/** Why the filters should skip this session or recipient, or undefined when they should not. */
export function immunity(
  connection: Connection,
  transaction: Transaction | undefined,
  recipient?: Address,
): ImmunityReason | undefined {
  if (connection.relayClient) return 'relay client'
  if (connection.notes.flag(NOTE.whitelistHost)) return 'whitelisted host'
  if (transaction?.notes.flag(NOTE.whitelistSender)) return 'whitelisted sender'
  return recipient ? recipientImmunity(recipient) : undefined
}

/** The recipient's own marks only (`whitelistrcpt`, per-recipient `whitelisthost` / `whitelistsender`). */
export function recipientImmunity(recipient: Address): ImmunityReason | undefined {
  if (recipient.notes.flag(NOTE.whitelistRcpt)) return 'whitelisted recipient'
  if (recipient.notes.flag(NOTE.whitelistHost)) return 'host whitelisted by this recipient'
  if (recipient.notes.flag(NOTE.whitelistSender)) return 'sender whitelisted by this recipient'
  return undefined
}

/**
 * Relay client, whitelisted host or sender, and, given a recipient, a recipient the whitelist
 * plugins marked (`whitelistrcpt`, or per-recipient `whitelisthost` / `whitelistsender`).
 */
export function isImmune(
  connection: Connection,
  transaction: Transaction | undefined,
  recipient?: Address,
): boolean {
  return immunity(connection, transaction, recipient) !== undefined
}
