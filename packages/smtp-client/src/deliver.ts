/**
 * Delivering one message to one or more next hops ("routes"), all or nothing as far as SMTP
 * allows. Phase 1 opens every route and sends MAIL and RCPT; only when every route accepted every
 * recipient does phase 2 send DATA and the message to each. A refusal before DATA therefore
 * delivers nothing anywhere (no duplicates on retry). After DATA, results can differ per route
 * (and per recipient with LMTP); `decide()` turns them into one answer.
 *
 * A connection that breaks or times out after the message was sent is reported as temporary:
 * the next hop may have taken it, so a retry can duplicate it, but it is never lost.
 */
import type { Readable } from 'node:stream'
import { describeEndpoint } from './connection.js'
import { SmtpClientError } from './errors.js'
import type { RecipientOutcome } from './outcome.js'
import { statusOf } from './outcome.js'
import type { Reply } from './reply.js'
import { type OpenSession, openSession, type SessionOptions } from './session.js'
import { resetTransaction, sendData, sendEnvelope } from './transaction.js'
import { errorReply } from './verdict.js'

export interface Route {
  /** How to reach and greet this next hop (the signal is the delivery's). */
  session: Omit<SessionOptions, 'signal'>
  /** Recipient paths with brackets. */
  recipients: readonly string[]
}

export type MailParams = { params: readonly string[] } | { refuse: Reply }

export interface DeliveryOptions {
  routes: readonly Route[]
  /** Reverse path with brackets. */
  sender: string
  /** MAIL FROM parameters for a session's capabilities, or a refusal (e.g. SMTPUTF8 not offered). */
  mailParams: (capabilities: ReadonlyMap<string, string>) => MailParams
  /** A new stream of the message each call (one per route). */
  message: () => Readable
  pipelining?: boolean
  signal: AbortSignal
  /** A word for the next hop in replies we make ourselves ("smarthost", "LMTP server"). */
  hop: string
}

export interface RouteReport {
  /** `host:port` or `unix:/path`. */
  readonly endpoint: string
  readonly outcomes: readonly RecipientOutcome[]
  /** Why the route failed on our side, for the log. */
  readonly error?: SmtpClientError
}

export interface DeliveryResult {
  /** Every recipient of every route, in route order. */
  readonly outcomes: readonly RecipientOutcome[]
  readonly routes: readonly RouteReport[]
}

interface Prepared {
  route: Route
  endpoint: string
  session?: OpenSession
  /** Set when the route cannot go on to DATA. */
  outcomes?: RecipientOutcome[]
  error?: SmtpClientError
}

const asClientError = (err: unknown): SmtpClientError =>
  err instanceof SmtpClientError ? err : new SmtpClientError('closed', (err as Error).message)

function all(
  recipients: readonly string[],
  status: RecipientOutcome['status'],
  reply: Reply,
): RecipientOutcome[] {
  return recipients.map((recipient) => ({ recipient, status, reply }))
}

async function prepare(route: Route, options: DeliveryOptions): Promise<Prepared> {
  const endpoint = describeEndpoint(route.session.endpoint)
  let session: OpenSession | undefined
  try {
    session = await openSession({ ...route.session, signal: options.signal })
    const params = options.mailParams(session.capabilities)
    if ('refuse' in params)
      return {
        route,
        endpoint,
        session,
        outcomes: all(route.recipients, statusOf(params.refuse), params.refuse),
      }
    const env = await sendEnvelope(session, {
      sender: options.sender,
      recipients: route.recipients,
      mailParams: params.params,
      pipelining: options.pipelining ?? true,
    })
    if (statusOf(env.mail) !== 'delivered')
      return { route, endpoint, session, outcomes: all(route.recipients, statusOf(env.mail), env.mail) }
    const rcpts = route.recipients.map((recipient, i) => {
      const reply = env.rcpts[i]!
      const status = statusOf(reply)
      return { recipient, status: status === 'delivered' ? ('held' as const) : status, reply }
    })
    if (rcpts.some((o) => o.status !== 'held')) return { route, endpoint, session, outcomes: rcpts }
    return { route, endpoint, session }
  } catch (err) {
    session?.connection.close()
    const error = asClientError(err)
    return {
      route,
      endpoint,
      error,
      outcomes: all(route.recipients, 'temporary', errorReply(error, options.hop)),
    }
  }
}

async function transmit(p: Prepared, options: DeliveryOptions): Promise<RouteReport> {
  const session = p.session!
  const recipients = p.route.recipients
  try {
    const result = await sendData(session, options.message(), recipients.length)
    if (result.stage === 'data') {
      void session.connection.quit()
      return { endpoint: p.endpoint, outcomes: all(recipients, statusOf(result.reply), result.reply) }
    }
    const outcomes = recipients.map((recipient, i): RecipientOutcome => {
      // SMTP: one reply for everyone. LMTP: one per recipient, in RCPT order.
      const reply = session.lmtp ? result.replies[i] : result.replies[0]
      if (reply) return { recipient, status: statusOf(reply), reply }
      return { recipient, status: 'temporary', reply: errorReply(result.error, options.hop) }
    })
    if (result.error) session.connection.close()
    else void session.connection.quit()
    return { endpoint: p.endpoint, outcomes, ...(result.error ? { error: result.error } : {}) }
  } catch (err) {
    session.connection.close()
    const error = asClientError(err)
    return {
      endpoint: p.endpoint,
      error,
      outcomes: all(recipients, 'temporary', errorReply(error, options.hop)),
    }
  }
}

export async function deliver(options: DeliveryOptions): Promise<DeliveryResult> {
  const prepared = await Promise.all(options.routes.map((r) => prepare(r, options)))
  if (prepared.some((p) => p.outcomes)) {
    // Someone refused before DATA: send the message nowhere, so a retry duplicates nothing.
    await Promise.all(
      prepared.map(async (p) => {
        if (!p.session) return
        if (!p.outcomes) await resetTransaction(p.session)
        void p.session.connection.quit()
      }),
    )
    const routes = prepared.map(
      (p): RouteReport => ({
        endpoint: p.endpoint,
        outcomes:
          p.outcomes ?? p.route.recipients.map((recipient) => ({ recipient, status: 'held' as const })),
        ...(p.error ? { error: p.error } : {}),
      }),
    )
    return { outcomes: routes.flatMap((r) => r.outcomes), routes }
  }
  const routes = await Promise.all(prepared.map((p) => transmit(p, options)))
  return { outcomes: routes.flatMap((r) => r.outcomes), routes }
}
