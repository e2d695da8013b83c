/**
 * Every hook, in one interface: its kind, the context it runs in, its arguments and the codes
 * it may return. Plugins' hooks are type-checked against this table, and the dispatcher's
 * runtime table (hooks.ts) is checked against it too.
 *
 * Kinds (as in Rollup):
 * - `first`: plugins run in order until one returns something other than DECLINED;
 * - `notify`: every plugin runs; results are ignored;
 * - `reduce`: a value is threaded through every plugin; returning nothing keeps it.
 */
import type { Address } from './address.js'
import type {
  Declined,
  Deny,
  DenyDisconnect,
  DenySoft,
  DenySoftDisconnect,
  Done,
  HookReturn,
  Ok,
  ReturnCode,
  Verdict,
} from './codes.js'
import type { GlobalContext, SessionContext, TransactionContext } from './context.js'
import type { LogEntry } from './logger.js'

export type HookKind = 'first' | 'notify' | 'reduce'

type Refusals = Deny | DenySoft | DenyDisconnect | DenySoftDisconnect

interface First<Ctx, Args extends unknown[], Codes extends ReturnCode> {
  kind: 'first'
  context: Ctx
  args: Args
  codes: Codes
}
interface Notify<Ctx, Args extends unknown[]> {
  kind: 'notify'
  context: Ctx
  args: Args
}
interface Reduce<Ctx, Value, Args extends unknown[]> {
  kind: 'reduce'
  context: Ctx
  value: Value
  args: Args
}

/** ESMTP parameters of MAIL or RCPT (keys lower-cased; a bare keyword has the value ''). */
export type EsmtpParams = ReadonlyMap<string, string>

/** Credentials handed to the auth hooks. */
export interface AuthCredentials {
  /** `plain`, `login` or `cram-md5` (lower case, as qpsmtpd passes it). */
  readonly mechanism: string
  readonly user: string
  /** The clear password (PLAIN, LOGIN). */
  readonly password?: string
  /** The client's HMAC-MD5 hex digest (CRAM-MD5). */
  readonly response?: string
  /** The challenge the server sent (CRAM-MD5). */
  readonly challenge?: string
}

/** Passed to the `deny` and `ok` meta hooks after a verdict. */
export interface VerdictEvent {
  readonly plugin: string
  readonly hook: HookName
  readonly verdict: Verdict
}

/** What the Received header is built from (for `received_line`). */
export interface ReceivedInfo {
  /** RFC 3848 protocol name: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA (UTF8 variants with SMTPUTF8). */
  readonly protocol: string
  readonly tls?: string
  readonly auth?: string
}

/** The queue's result, for `queue_post`. */
export interface QueueResult {
  readonly code: ReturnCode
  readonly message: readonly string[]
  readonly plugin?: string
}

export interface HookTable {
  /** After accept(), before anything is written; must be fast. */
  'pre-connection': First<SessionContext, [], Ok | Refusals>
  /** Before the 220 banner. DONE: the plugin wrote its own banner. */
  connect: First<SessionContext, [], Ok | Refusals | Done>
  helo: First<SessionContext, [host: string], Ok | Refusals | Done>
  ehlo: First<SessionContext, [host: string], Ok | Refusals | Done>
  /** Rewrites the raw MAIL FROM path before it is parsed (e.g. adds missing angle brackets). */
  mail_pre: Reduce<SessionContext, string, [params: EsmtpParams]>
  /** The sender; the default is to accept. The transaction exists; `sender` is set after OK. */
  mail: First<TransactionContext, [sender: Address, params: EsmtpParams], Ok | Refusals | Done>
  rcpt_pre: Reduce<TransactionContext, string, [params: EsmtpParams]>
  /** Each recipient; fail closed: a recipient no plugin accepted is refused. */
  rcpt: First<TransactionContext, [recipient: Address, params: EsmtpParams], Ok | Refusals | Done>
  /** DATA (or the first BDAT), before 354. */
  data: First<TransactionContext, [], Ok | Refusals | Done>
  /**
   * At the end of the header block, while the body streams. DENY/DENYSOFT refuse the message once
   * DATA ends; the _DISCONNECT codes reply and close at once.
   */
  data_headers_end: First<TransactionContext, [], Refusals>
  /** After the final dot, before the engine adds its headers: for plugins that add headers. */
  data_post_headers: Notify<TransactionContext, []>
  /** The whole message is spooled: content filters decide here. */
  data_post: First<TransactionContext, [], Ok | Refusals | Done>
  /** Just before queueing. DONE: stop, and the plugin replied. */
  queue_pre: First<TransactionContext, [], Ok | Done>
  /** Deliver. OK only once the message is safe (fsync, or a downstream 250). */
  queue: First<TransactionContext, [], Ok | Refusals | Done>
  queue_post: Notify<TransactionContext, [result: QueueResult]>
  /** A transaction ends (MAIL, RSET, after queue or a refusal, disconnect). */
  reset_transaction: Notify<TransactionContext, []>
  disconnect: Notify<SessionContext, []>
  'post-connection': Notify<SessionContext, []>
  /** Any verb the engine does not know. DONE: the plugin handled it (this is how verbs are added). */
  unrecognized_command: First<SessionContext, [verb: string, rest: string], Refusals | Done>
  vrfy: First<SessionContext, [argument: string], Ok | Deny | DenySoft | Done>
  noop: First<SessionContext, [], Ok | Deny | DenyDisconnect | Done>
  /** OK with a message: those lines are the 214 help text. */
  help: First<SessionContext, [argument: string], Ok | Deny | Done>
  quit: First<SessionContext, [], Ok | Done>
  /** Any mechanism, after the mechanism's own hook declined. OK: authenticated. */
  auth: First<SessionContext, [credentials: AuthCredentials], Ok | Deny | DenySoft | DenyDisconnect>
  'auth-plain': First<SessionContext, [credentials: AuthCredentials], Ok | Deny | DenySoft | DenyDisconnect>
  'auth-login': First<SessionContext, [credentials: AuthCredentials], Ok | Deny | DenySoft | DenyDisconnect>
  'auth-cram-md5': First<
    SessionContext,
    [credentials: AuthCredentials],
    Ok | Deny | DenySoft | DenyDisconnect
  >
  /** After a refusal by any plugin, with who refused and how. */
  deny: Notify<SessionContext, [event: VerdictEvent]>
  /** After any other deciding verdict. */
  ok: Notify<SessionContext, [event: VerdictEvent]>
  /** Every log entry. OK: handled (later loggers and stderr are skipped). */
  logging: First<GlobalContext, [entry: LogEntry], Ok>
  /** A config value before the file is read. OK with message lines: those are the values. */
  config: First<GlobalContext, [key: string], Ok>
  /** A per-address config value. OK with message lines: those are the values. */
  user_config: First<GlobalContext, [address: Address, key: string], Ok>
  /** The Received header's value; return a new one to replace it. */
  received_line: Reduce<TransactionContext, string, [info: ReceivedInfo]>
  /** EHLO keywords after the hello line; return a new list to change them. */
  capabilities: Reduce<SessionContext, readonly string[], []>
}

export type HookName = keyof HookTable
export type HookKindOf<K extends HookName> = HookTable[K]['kind']
export type FirstHookName = { [K in HookName]: HookTable[K]['kind'] extends 'first' ? K : never }[HookName]
export type NotifyHookName = { [K in HookName]: HookTable[K]['kind'] extends 'notify' ? K : never }[HookName]
export type ReduceHookName = { [K in HookName]: HookTable[K]['kind'] extends 'reduce' ? K : never }[HookName]

export type HookContextOf<K extends HookName> = HookTable[K]['context']
export type HookArgs<K extends HookName> = HookTable[K]['args']
/** The codes a first hook may return (DECLINED is always allowed). */
export type HookCodes<K extends FirstHookName> =
  HookTable[K] extends First<unknown, unknown[], infer C> ? C : never
export type ReduceValue<K extends ReduceHookName> =
  HookTable[K] extends Reduce<unknown, infer V, unknown[]> ? V : never

type Awaitable<T> = T | Promise<T>

/** The function a plugin writes for hook K. */
export type HookHandler<K extends HookName> =
  HookTable[K] extends First<infer Ctx, infer A, infer C>
    ? (ctx: Ctx, ...args: A) => Awaitable<HookReturn<C | Declined>>
    : HookTable[K] extends Notify<infer Ctx, infer A>
      ? (ctx: Ctx, ...args: A) => Awaitable<void>
      : HookTable[K] extends Reduce<infer Ctx, infer V, infer A>
        ? (ctx: Ctx, value: V, ...args: A) => Awaitable<V | undefined | void>
        : never

/** A handler, or a handler with options (Rollup's object hook). */
export type HookOption<K extends HookName> =
  | HookHandler<K>
  | {
      handler: HookHandler<K>
      /** `pre` runs before plugins without an order, `post` after; within a group, config order. */
      order?: 'pre' | 'post'
      /** Milliseconds; overrides the plugin's and the server's hook timeout. */
      timeout?: number
    }

/** The hooks a plugin registers. */
export type PluginHooks = { [K in HookName]?: HookOption<K> }
