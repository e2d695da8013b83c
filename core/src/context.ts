/**
 * What a hook receives as its first argument. Three shapes, by where the hook runs:
 * - `GlobalContext`: no client (config, user_config, logging);
 * - `SessionContext`: a connected client, maybe inside a transaction;
 * - `TransactionContext`: inside a mail transaction (MAIL through queue).
 */
import type { Address } from './address.js'
import type { EnhancedCode, Verdict } from './codes.js'
import type { Connection } from './connection.js'
import type { RefusalCode } from './dsn.js'
import type { HookName } from './hook-types.js'
import type { Logger } from './logger.js'
import type { PluginArgs } from './plugin-args.js'
import type { Transaction } from './transaction.js'

export interface PluginInstanceInfo {
  /** The plugin's name (`check_badmailfrom`). */
  readonly name: string
  /** The name in `config/plugins`, with `:N` for a second instance. */
  readonly instance: string
  readonly args: PluginArgs
}

export interface GlobalContext {
  readonly plugin: PluginInstanceInfo
  readonly hook: HookName
  /**
   * Aborted when the hook's time is up (reason: a HookTimeoutError) or the client went away
   * (the session's reason): pass it to fetch, DNS, sockets.
   */
  readonly signal: AbortSignal
  /** Bound to this connection, plugin and hook; honours the plugin's `loglevel` argument. */
  readonly log: Logger
}

export interface SessionContext extends GlobalContext {
  readonly connection: Connection
  readonly transaction: Transaction | undefined
  /**
   * Writes a reply now, for a hook that then returns DONE. Multi-line text becomes a multi-line
   * reply; the enhanced code is added when the client asked for it.
   */
  respond(code: number, message: string | readonly string[], enhanced?: EnhancedCode): Promise<void>
  /**
   * Relay client, or a whitelist note (`whitelisthost`, `whitelistsender`): most filters skip
   * these. Given a recipient (RCPT-time filters), also a recipient the whitelist plugins marked:
   * `whitelistrcpt`, or per-recipient `whitelisthost` / `whitelistsender` on its address.
   */
  isImmune(recipient?: Address): boolean
  /**
   * The shared reject convention. Reads the plugin's `reject` and `reject_type` arguments:
   * `reject 0` logs `fail, tolerated` and returns undefined; `reject naughty` stores a deferred
   * reject (enforced later by the engine) and returns undefined; otherwise it returns the verdict.
   */
  reject(message: string, enhanced?: EnhancedCode, logMessage?: string): Verdict<RefusalCode> | undefined
  /** Stores a reject to be applied at the configured phase (qpsmtpd's "naughty"). */
  deferReject(message: string, code?: RefusalCode, enhanced?: EnhancedCode): void
  /** Slows every later reply on this connection by `ms` more (tarpitting); 0 resets. */
  delayReplies(ms: number): void
}

export interface TransactionContext extends SessionContext {
  readonly transaction: Transaction
}

/** What the engine gives the dispatcher for each session. */
export interface SessionHost {
  readonly connection: Connection
  readonly transaction: Transaction | undefined
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal
  respond(code: number, message: string | readonly string[], enhanced?: EnhancedCode): Promise<void>
  delayReplies(ms: number): void
}
