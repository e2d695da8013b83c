/**
 * The mail transaction on an open session: MAIL and RCPT (pipelined when the server offers it
 * and the caller wants it), then DATA, the message and its reply — one for SMTP, one per accepted
 * recipient for LMTP (RFC 2033 §4.2). DATA is never pipelined with the envelope: the caller
 * decides after seeing every RCPT reply whether the message may be sent at all.
 */
import type { Readable } from 'node:stream'
import { SmtpClientError } from './errors.js'
import type { Reply } from './reply.js'
import type { OpenSession } from './session.js'

export interface Envelope {
  /** Reverse path with brackets: `<a@example.com>` or `<>`. */
  sender: string
  /** Forward paths with brackets. */
  recipients: readonly string[]
  /** MAIL FROM parameters (`SIZE=123`, `BODY=8BITMIME`, `SMTPUTF8`). */
  mailParams?: readonly string[]
  /** Pipeline MAIL and RCPT when the server offers PIPELINING. Default true. */
  pipelining?: boolean
}

export interface EnvelopeResult {
  readonly mail: Reply
  /** One reply per recipient, in order; empty when MAIL was refused without pipelining. */
  readonly rcpts: readonly Reply[]
}

export async function sendEnvelope(session: OpenSession, envelope: Envelope): Promise<EnvelopeResult> {
  const conn = session.connection
  const params = envelope.mailParams?.length ? ` ${envelope.mailParams.join(' ')}` : ''
  const mailLine = `MAIL FROM:${envelope.sender}${params}`
  const rcptLines = envelope.recipients.map((r) => `RCPT TO:${r}`)
  if ((envelope.pipelining ?? true) && session.capabilities.has('PIPELINING')) {
    // RFC 2920: MAIL and RCPT may be grouped; replies come back in order.
    conn.write(mailLine, ...rcptLines)
    const mail = await conn.read()
    const rcpts: Reply[] = []
    for (let i = 0; i < rcptLines.length; i++) rcpts.push(await conn.read())
    return { mail, rcpts }
  }
  const mail = await conn.command(mailLine)
  if (mail.code < 200 || mail.code >= 300) return { mail, rcpts: [] }
  const rcpts: Reply[] = []
  for (const line of rcptLines) rcpts.push(await conn.command(line))
  return { mail, rcpts }
}

export type DataResult =
  /** The DATA command itself was refused. */
  | { readonly stage: 'data'; readonly reply: Reply }
  /**
   * Replies after the message: one (SMTP) or one per accepted recipient (LMTP). When the
   * connection failed before every reply came, `error` says why and `replies` is short: the
   * missing recipients may or may not have been delivered.
   */
  | { readonly stage: 'message'; readonly replies: readonly Reply[]; readonly error?: SmtpClientError }

/**
 * DATA, the message, the final reply(s). `accepted` is the number of recipients the server
 * accepted (LMTP answers once for each).
 */
export async function sendData(
  session: OpenSession,
  message: Readable,
  accepted: number,
): Promise<DataResult> {
  const conn = session.connection
  const data = await conn.command('DATA')
  if (data.code !== 354) {
    message.destroy()
    return { stage: 'data', reply: data }
  }
  try {
    await conn.sendMessage(message)
  } catch (err) {
    // A server may refuse mid-message (552 too big) and hang up: that reply is its answer.
    const early = conn.takeEarlyReply()
    if (early)
      return { stage: 'message', replies: Array.from({ length: session.lmtp ? accepted : 1 }, () => early) }
    throw err
  }
  const expected = session.lmtp ? accepted : 1
  const replies: Reply[] = []
  try {
    for (let i = 0; i < expected; i++) replies.push(await conn.read())
  } catch (err) {
    if (err instanceof SmtpClientError) return { stage: 'message', replies, error: err }
    throw err
  }
  return { stage: 'message', replies }
}

/** RSET, so the session could be reused; errors are ignored (we close afterwards anyway). */
export async function resetTransaction(session: OpenSession): Promise<void> {
  try {
    await session.connection.command('RSET')
  } catch {}
}
