/**
 * The greylisting state of one triplet and its black / grey / white life, as qpsmtpd's
 * greylisting plugin keeps it (RFC 6647):
 *
 * - unknown: record it, defer ("black") for `black` ms;
 * - retried within the black period: still deferred; the first-seen time does not move;
 * - retried in the grey window (after `black`, before `grey` since first seen): pass, and the
 *   triplet turns white;
 * - white: passes for `white` ms after its last delivery, each delivery renewing it;
 * - a grey window or white period that ran out: the triplet is unknown again.
 *
 * Stored as `ts:new:black:white` (qpsmtpd's fields; ts in ms): the time first seen (black/grey)
 * or last passed (white), how many times it was new, deferred retries, passed deliveries.
 */
export interface Timeouts {
  readonly black: number
  readonly grey: number
  readonly white: number
}

export interface GreyRecord {
  readonly ts: number
  readonly seen: number
  readonly black: number
  readonly white: number
}

export type Verdict =
  | { readonly pass: false; readonly why: 'new' | 'black'; readonly retryIn: number }
  | { readonly pass: true; readonly why: 'grey' | 'white' }

export interface Step {
  readonly verdict: Verdict
  readonly record: GreyRecord
  /** How long the store should keep the new record. */
  readonly ttl: number
}

export function step(prior: GreyRecord | undefined, now: number, t: Timeouts): Step {
  if (prior) {
    const age = now - prior.ts
    if (prior.white > 0) {
      if (age < t.white)
        return {
          verdict: { pass: true, why: 'white' },
          record: { ...prior, ts: now, white: prior.white + 1 },
          ttl: t.white,
        }
    } else if (age < t.black) {
      return {
        verdict: { pass: false, why: 'black', retryIn: t.black - age },
        record: { ...prior, black: prior.black + 1 },
        ttl: Math.max(1, t.grey - age),
      }
    } else if (age < t.grey) {
      return { verdict: { pass: true, why: 'grey' }, record: { ...prior, ts: now, white: 1 }, ttl: t.white }
    }
  }
  return {
    verdict: { pass: false, why: 'new', retryIn: t.black },
    record: { ts: now, seen: (prior?.seen ?? 0) + 1, black: prior?.black ?? 0, white: 0 },
    ttl: t.grey,
  }
}

export function formatRecord(r: GreyRecord): string {
  return `${r.ts}:${r.seen}:${r.black}:${r.white}`
}

export function parseRecord(value: string | undefined): GreyRecord | undefined {
  const m = value === undefined ? null : /^(\d+):(\d+):(\d+):(\d+)$/.exec(value)
  if (!m) return undefined
  return { ts: Number(m[1]), seen: Number(m[2]), black: Number(m[3]), white: Number(m[4]) }
}
