/**
 * One caller per hook of an SMTP conversation, building what the test leaves out (session,
 * transaction, ESMTP parameters) and changing the session as the engine would after the verdict
 * (HELO sets the hello host, MAIL the sender, RCPT adds the recipient), so calls on one session
 * read like the conversation they stand for.
 */
import {
  type Address,
  DECLINED,
  DONE,
  type EsmtpParams,
  type FirstHookName,
  type HookArgs,
  type HookResult,
  isDenial,
  OK,
  type SessionHost,
} from '@postern/core'
import { type TestConnectionInit, type TestTransactionInit, testAddress } from './models.js'
import { type TestSession, testSession } from './test-session.js'

export interface HookCallOptions {
  /** The session to run in, so calls can follow one another (default: a new one). */
  session?: TestSession
  /** The client of a new session (ignored when `session` is given). */
  connection?: TestConnectionInit
}

export interface TransactionCallOptions extends HookCallOptions {
  /**
   * Starts a new transaction from these fields. Without it the session's transaction is used,
   * or, when it has none, one is built with the defaults: sender `sender@example.org`, and from
   * DATA on recipient `recipient@example.com`, and after DATA a short message.
   */
  tx?: TestTransactionInit
}

export interface EnvelopeCallOptions extends TransactionCallOptions {
  /** The command's ESMTP parameters (`{ size: '1200' }`, keys lower case; default none). */
  params?: Readonly<Record<string, string>> | EsmtpParams
}

export interface HookCallers {
  connect(options?: HookCallOptions): Promise<HookResult>
  /** Runs `helo`; unless refused (or DONE), the connection's hello host and type are set. */
  helo(host: string, options?: HookCallOptions): Promise<HookResult>
  ehlo(host: string, options?: HookCallOptions): Promise<HookResult>
  /**
   * Starts a transaction (as MAIL does) and runs `mail`; unless refused (or DONE) the sender is
   * set, and a refusal drops the transaction. `tx` gives its notes; `'<>'` is the null sender.
   */
  mail(sender: string | Address, options?: EnvelopeCallOptions): Promise<HookResult>
  /** Runs `rcpt`; on OK the recipient is added to the transaction. */
  rcpt(recipient: string | Address, options?: EnvelopeCallOptions): Promise<HookResult>
  data(options?: TransactionCallOptions): Promise<HookResult>
  data_post(options?: TransactionCallOptions): Promise<HookResult>
  queue(options?: TransactionCallOptions): Promise<HookResult>
}

/** The dispatcher's `runFirst`, as the harness exposes it. */
export type RunFirst = <K extends FirstHookName>(
  hook: K,
  session: SessionHost | undefined,
  ...args: HookArgs<K>
) => Promise<HookResult>

export const DEFAULT_SENDER = 'sender@example.org'
export const DEFAULT_RECIPIENT = 'recipient@example.com'
export const DEFAULT_MESSAGE = `From: <${DEFAULT_SENDER}>\nTo: <${DEFAULT_RECIPIENT}>\nSubject: test\n\nHello.\n`
/** MAIL needs a hello first, so a session made for a transaction hook has one. */
const DEFAULT_HELLO = 'client.example.net'

type Stage = 'rcpt' | 'data' | 'message'

function defaultsFor(stage: Stage): TestTransactionInit {
  if (stage === 'rcpt') return { sender: DEFAULT_SENDER }
  if (stage === 'data') return { sender: DEFAULT_SENDER, recipients: [DEFAULT_RECIPIENT] }
  return { sender: DEFAULT_SENDER, recipients: [DEFAULT_RECIPIENT], message: DEFAULT_MESSAGE }
}

function sessionOf(options: HookCallOptions, hello: boolean): TestSession {
  if (options.session) return options.session
  return testSession(hello ? { helloHost: DEFAULT_HELLO, ...options.connection } : options.connection)
}

/** The session with the transaction the hook at `stage` runs in. */
function inTransaction(options: TransactionCallOptions, stage: Stage): TestSession {
  const s = sessionOf(options, true)
  if (options.tx) s.begin(options.tx)
  else if (!s.transaction) s.begin(defaultsFor(stage))
  return s
}

function paramsOf(params: EnvelopeCallOptions['params']): EsmtpParams {
  if (params instanceof Map) return params
  return new Map(Object.entries(params ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
}

const addressOf = (a: string | Address): Address => (typeof a === 'string' ? testAddress(a) : a)

export function hookCallers(first: RunFirst): HookCallers {
  const hello =
    (type: 'helo' | 'ehlo') =>
    async (host: string, options: HookCallOptions = {}) => {
      const s = sessionOf(options, false)
      const r = await first(type, s, host)
      if (r.code === OK || r.code === DECLINED) {
        s.connection.helloType = type
        s.connection.helloHost = host
      }
      return r
    }
  const plain =
    (hook: 'data' | 'data_post' | 'queue', stage: Stage) =>
    (options: TransactionCallOptions = {}) =>
      first(hook, inTransaction(options, stage))
  return {
    connect: (options = {}) => first('connect', sessionOf(options, false)),
    helo: hello('helo'),
    ehlo: hello('ehlo'),
    async mail(sender, options = {}) {
      const s = sessionOf(options, true)
      const { sender: _ignored, ...init } = options.tx ?? {}
      const tx = s.begin(init)
      const params = paramsOf(options.params)
      for (const [k, v] of params) tx.mailParams.set(k, v)
      const address = addressOf(sender)
      const r = await first('mail', s, address, params)
      if (r.code === DONE) return r
      if (isDenial(r.code)) s.transaction = undefined
      else tx.sender = address
      return r
    },
    async rcpt(recipient, options = {}) {
      const s = inTransaction(options, 'rcpt')
      const address = addressOf(recipient)
      const r = await first('rcpt', s, address, paramsOf(options.params))
      if (r.code === OK) s.transaction!.addRecipient(address)
      return r
    },
    data: plain('data', 'data'),
    data_post: plain('data_post', 'message'),
    queue: plain('queue', 'message'),
  }
}
