/**
 * A token bucket (as Perl's Algorithm::TokenBucket, which berkeley_tokenbucketadd used): it holds
 * up to `burst` tokens and refills at `rate` tokens per `period`; each event takes one. An event
 * that finds the bucket empty is over the rate. A full bucket is the same as no state at all, so
 * the stored state can expire once the bucket would have refilled.
 */
export interface BucketConfig {
  /** Tokens added per `period`. */
  readonly rate: number
  /** Ms. */
  readonly period: number
  /** Most tokens held (the burst allowed after a quiet spell). */
  readonly burst: number
}

export interface BucketState {
  readonly tokens: number
  /** When `tokens` was computed (ms since epoch). */
  readonly at: number
}

export interface TakeResult {
  readonly state: BucketState
  /** False when the bucket was empty: the event is over the rate. */
  readonly conform: boolean
  /** Ms until the bucket is full again (how long the state must be kept). */
  readonly refillIn: number
}

export function take(config: BucketConfig, prior: BucketState | undefined, now: number): TakeResult {
  const perMs = config.rate / config.period
  const elapsed = prior ? Math.max(0, now - prior.at) : 0
  const tokens = prior ? Math.min(config.burst, prior.tokens + elapsed * perMs) : config.burst
  const conform = tokens >= 1
  const left = conform ? tokens - 1 : tokens
  return { state: { tokens: left, at: now }, conform, refillIn: Math.ceil((config.burst - left) / perMs) }
}

/** `tokens|at`, as kept in the store. */
export function formatState(s: BucketState): string {
  return `${Number(s.tokens.toFixed(6))}|${s.at}`
}

export function parseState(value: string | undefined): BucketState | undefined {
  if (value === undefined) return undefined
  const m = /^(-?\d+(?:\.\d+)?)\|(\d+)$/.exec(value)
  return m ? { tokens: Number(m[1]), at: Number(m[2]) } : undefined
}
