/**
 * One answer for many recipients. SMTP has a single reply after the final dot, but a queue that
 * relays may get a different result per recipient (LMTP replies per recipient; recipients on
 * different routes go to different servers). The rule, in order:
 *
 * 1. every recipient delivered → OK;
 * 2. any temporary failure → temporary (the client retries the whole message: recipients
 *    already delivered may get a duplicate; duplicates are acceptable, loss is not);
 * 3. otherwise any permanent failure → permanent (the client bounces; the reply text names
 *    which recipients were delivered, which failed and which were not sent).
 *
 * The reply code and enhanced code are the first failure's of the chosen class, so a single
 * downstream refusal reaches our client unchanged.
 */
import type { EnhancedCode } from '@postern/core'
import type { Reply } from './reply.js'

export type RecipientStatus =
  /** The next hop took responsibility (2xx after the message). */
  | 'delivered'
  | 'temporary'
  | 'permanent'
  /** Not sent: another recipient or route failed before the message was sent. */
  | 'held'

export interface RecipientOutcome {
  /** The recipient path as sent (`<bob@example.com>`). */
  readonly recipient: string
  readonly status: RecipientStatus
  /** The server's reply, or one we made for a local failure (connect refused, timeout…). */
  readonly reply?: Reply
}

export interface Decision {
  readonly result: 'ok' | 'temporary' | 'permanent'
  readonly code: number
  readonly enhanced: EnhancedCode
  readonly lines: readonly string[]
}

/** Reply codes passed to our client unchanged; others become 451 / 554. */
const PASSABLE = new Set([450, 451, 452, 550, 551, 552, 553, 554])
const MAX_TEXT = 400
const MAX_DETAIL_LINES = 50

/** A reply for a failure from a server reply's class: 4xx → temporary, 5xx → permanent. */
export function statusOf(reply: Reply): RecipientStatus {
  if (reply.code >= 200 && reply.code < 300) return 'delivered'
  return reply.code >= 500 ? 'permanent' : 'temporary'
}

/** Next-hop text goes to our client: bounded, and without control characters. */
const clip = (s: string) => {
  const clean = s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '?')
  return clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT)}...` : clean
}

function sameReply(a: Reply | undefined, b: Reply | undefined): boolean {
  if (!a || !b) return a === b
  return a.code === b.code && a.enhanced === b.enhanced && a.lines.join('\n') === b.lines.join('\n')
}

function detail(o: RecipientOutcome): string {
  if (o.status === 'delivered') return `${o.recipient}: delivered`
  if (o.status === 'held') return `${o.recipient}: not sent (another recipient failed)`
  const r = o.reply
  if (!r) return `${o.recipient}: failed`
  return clip(`${o.recipient}: ${r.code}${r.enhanced ? ` ${r.enhanced}` : ''} ${r.lines[0] ?? ''}`.trimEnd())
}

export function decide(outcomes: readonly RecipientOutcome[]): Decision {
  const temporary = outcomes.filter((o) => o.status === 'temporary')
  const permanent = outcomes.filter((o) => o.status === 'permanent')
  if (!temporary.length && !permanent.length) return { result: 'ok', code: 250, enhanced: '2.0.0', lines: [] }
  const result = temporary.length ? 'temporary' : 'permanent'
  const failures = temporary.length ? temporary : permanent
  const chosen = failures[0]!
  const reply = chosen.reply
  const fallback = result === 'temporary' ? 451 : 554
  const code = reply && PASSABLE.has(reply.code) ? reply.code : fallback
  const klass = result === 'temporary' ? '4' : '5'
  const enhanced = (reply?.enhanced ? `${klass}${reply.enhanced.slice(1)}` : `${klass}.0.0`) as EnhancedCode
  const text = reply?.lines.length ? reply.lines.map(clip) : ['Delivery failed']
  // One failure shared by every recipient: the server's reply, unchanged.
  if (outcomes.every((o) => o.status === chosen.status && sameReply(o.reply, reply)))
    return { result, code, enhanced, lines: text }
  const details = outcomes.slice(0, MAX_DETAIL_LINES).map(detail)
  if (outcomes.length > MAX_DETAIL_LINES) details.push(`... and ${outcomes.length - MAX_DETAIL_LINES} more`)
  return { result, code, enhanced, lines: [text[0]!, ...details] }
}
