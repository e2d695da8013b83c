/**
 * The answers already fetched, and the fetches in flight. A fetch is shared by every caller
 * that asks for the same key meanwhile, and aborted only when all of them have given up (their
 * hook deadline passed or their client went away), so one slow server costs one request.
 */
import type { FetchOutcome } from './fetch-lines.js'

interface Entry {
  readonly outcome: FetchOutcome & { kind: 'found' | 'missing' }
  readonly expires: number
}

interface Flight {
  readonly controller: AbortController
  readonly promise: Promise<FetchOutcome>
  waiters: number
}

export class ConfigCache {
  readonly #entries = new Map<string, Entry>()
  readonly #flights = new Map<string, Flight>()

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** A fresh answer, if any. */
  fresh(key: string, now = Date.now()): Entry['outcome'] | undefined {
    const e = this.#entries.get(key)
    return e && e.expires > now ? e.outcome : undefined
  }

  /** An expired answer, to serve when the server fails (stale-if-error). */
  stale(key: string): Entry['outcome'] | undefined {
    return this.#entries.get(key)?.outcome
  }

  store(key: string, outcome: FetchOutcome): void {
    if (outcome.kind === 'error' || this.ttlMs === 0) return
    if (this.#entries.size >= this.maxEntries && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.delete(key) // re-insert so iteration order stays oldest-first
    this.#entries.set(key, { outcome, expires: Date.now() + this.ttlMs })
  }

  /** Joins the fetch in flight for `key` or starts one; resolves undefined if `signal` aborts first. */
  async join(
    key: string,
    signal: AbortSignal,
    start: (signal: AbortSignal) => Promise<FetchOutcome>,
  ): Promise<FetchOutcome | undefined> {
    if (signal.aborted) return undefined
    let flight = this.#flights.get(key)
    if (!flight) {
      const controller = new AbortController()
      const promise = start(controller.signal).finally(() => this.#flights.delete(key))
      flight = { controller, promise, waiters: 0 }
      this.#flights.set(key, flight)
    }
    const f = flight
    f.waiters++
    let onAbort: (() => void) | undefined
    const gaveUp = new Promise<undefined>((resolve) => {
      onAbort = () => {
        if (--f.waiters === 0) f.controller.abort(signal.reason)
        resolve(undefined)
      }
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([f.promise, gaveUp])
    } finally {
      if (!signal.aborted) f.waiters--
      if (onAbort) signal.removeEventListener('abort', onAbort)
    }
  }
}
