/**
 * Core's `Store` in one SQLite file. WAL lets readers run while one process writes, and the busy
 * timeout makes a writer wait for another process's write instead of failing, so the worker
 * processes of one host (cluster mode) can share a file. `incr` runs in a BEGIN IMMEDIATE
 * transaction: the read and the write happen under one write lock, so concurrent increments from
 * any number of processes are all counted.
 *
 * better-sqlite3 is synchronous: every call blocks the event loop for the time of one indexed
 * statement (microseconds on a local disk). A call that finds the file locked by another
 * process's write waits inside SQLite, so it blocks the whole process (every session) for up to
 * the busy timeout, then throws SQLITE_BUSY, which plugins treat as "store down". Hence a short
 * default: writes hold the lock for microseconds, so a second of waiting means something is wrong.
 * Do not put the file on a network filesystem: SQLite's locking is not reliable there.
 */

import type { Store, StoreEntry, StoreSetOptions } from '@postern/core'
import Database from 'better-sqlite3'

export interface SqliteStoreOptions {
  /**
   * How long a call waits for another process's lock before failing with SQLITE_BUSY, in ms; the
   * event loop is blocked meanwhile. Default 1000.
   */
  busyTimeout?: number
  /** How often expired rows are deleted, in ms (0 = never; call `purgeExpired()` yourself). Default 600000. */
  purgeInterval?: number
  /** Table name (letters, digits, underscore). Default `postern_store`. */
  table?: string
}

interface Row {
  key: string
  value: string
  expires_at: number | null
}

/** ms a call waits for another process's write lock (blocking the event loop) before SQLITE_BUSY. */
export const DEFAULT_BUSY_TIMEOUT = 1000

/** Rows read per step of `scan`, so a scan holds no statement open while the caller awaits. */
const SCAN_PAGE = 500
const INTEGER = /^-?\d+$/

export class SqliteStore implements Store {
  readonly path: string
  /** The busy timeout in effect, in ms. */
  readonly busyTimeout: number
  readonly #db: Database.Database
  readonly #timer: NodeJS.Timeout | undefined
  readonly #get: Database.Statement<[string, number], { value: string }>
  readonly #set: Database.Statement<[string, string, number | null]>
  readonly #row: Database.Statement<[string], Row>
  readonly #delete: Database.Statement<[string, number]>
  readonly #deleteAny: Database.Statement<[string]>
  readonly #from: Database.Statement<[string, number, number], Row>
  readonly #after: Database.Statement<[string, number, number], Row>
  readonly #purge: Database.Statement<[number]>
  readonly #incr: (key: string, by: number, ttl: number | undefined) => number

  /** Opens (creating if needed) the database file. `:memory:` gives a private in-memory database. */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    const table = options.table ?? 'postern_store'
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new TypeError(`SqliteStore: bad table name ${table}`)
    this.path = path
    this.#db = new Database(path)
    // The busy timeout first: switching to WAL needs a lock another process may hold.
    this.busyTimeout = Math.max(0, Math.trunc(options.busyTimeout ?? DEFAULT_BUSY_TIMEOUT))
    this.#db.pragma(`busy_timeout = ${this.busyTimeout}`)
    if (path !== ':memory:') this.#db.pragma('journal_mode = WAL')
    // NORMAL is durable across process crashes in WAL mode; a power cut may lose the last writes,
    // which for greylisting and rate counters costs a retry at most.
    this.#db.pragma('synchronous = NORMAL')
    this.#db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID;
       CREATE INDEX IF NOT EXISTS ${table}_expires ON ${table} (expires_at) WHERE expires_at IS NOT NULL;`,
    )
    const live = '(expires_at IS NULL OR expires_at > ?)'
    this.#get = this.#db.prepare(`SELECT value FROM ${table} WHERE key = ? AND ${live}`)
    this.#set = this.#db.prepare(
      `INSERT INTO ${table} (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    )
    this.#row = this.#db.prepare(`SELECT key, value, expires_at FROM ${table} WHERE key = ?`)
    this.#delete = this.#db.prepare(`DELETE FROM ${table} WHERE key = ? AND ${live}`)
    this.#deleteAny = this.#db.prepare(`DELETE FROM ${table} WHERE key = ?`)
    // Keys sharing a prefix are one contiguous range in SQLite's binary collation (every other
    // key >= the prefix sorts after all of them), so a scan is an index range read in pages.
    const page = (op: string) =>
      this.#db.prepare<[string, number, number], Row>(
        `SELECT key, value, expires_at FROM ${table} WHERE key ${op} ? AND ${live} ORDER BY key LIMIT ?`,
      )
    this.#from = page('>=')
    this.#after = page('>')
    this.#purge = this.#db.prepare(`DELETE FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= ?`)

    const incr = this.#db.transaction((key: string, by: number, ttl: number | undefined): number => {
      const now = Date.now()
      const row = this.#row.get(key)
      if (!row || (row.expires_at !== null && row.expires_at <= now)) {
        this.#set.run(key, String(by), expiry(ttl, now))
        return by
      }
      if (!INTEGER.test(row.value)) throw new TypeError(`store value at ${key} is not an integer`)
      const next = Number.parseInt(row.value, 10) + by
      // Keep the original expiry: a counter's window starts at its first event.
      this.#set.run(key, String(next), row.expires_at)
      return next
    })
    // IMMEDIATE takes the write lock before the read, so no other process can change the row
    // between our SELECT and our UPDATE.
    this.#incr = (key, by, ttl) => incr.immediate(key, by, ttl)

    const every = options.purgeInterval ?? 600_000
    if (every > 0) {
      this.#timer = setInterval(() => {
        try {
          this.purgeExpired()
        } catch {
          // Busy past the timeout, or closed under us: the next round will do it.
        }
      }, every)
      this.#timer.unref()
    }
  }

  async get(key: string): Promise<string | undefined> {
    return this.#get.get(key, Date.now())?.value
  }

  async set(key: string, value: string, options: StoreSetOptions = {}): Promise<void> {
    this.#set.run(key, value, expiry(options.ttl, Date.now()))
  }

  async incr(key: string, by = 1, options: StoreSetOptions = {}): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new TypeError(`incr by ${by}: not an integer`)
    return this.#incr(key, by, options.ttl)
  }

  async delete(key: string): Promise<boolean> {
    const removed = this.#delete.run(key, Date.now()).changes > 0
    // An expired row does not count as existing, but it can go now.
    if (!removed) this.#deleteAny.run(key)
    return removed
  }

  async *scan(prefix: string): AsyncIterable<StoreEntry> {
    // Pages, not one open iterator: the caller may write to the store between two entries, and
    // better-sqlite3 refuses other statements while an iterator is open.
    let rows = this.#from.all(prefix, Date.now(), SCAN_PAGE)
    for (;;) {
      for (const r of rows) {
        if (!r.key.startsWith(prefix)) return
        yield r.expires_at === null
          ? { key: r.key, value: r.value }
          : { key: r.key, value: r.value, expiresAt: r.expires_at }
      }
      if (rows.length < SCAN_PAGE) return
      rows = this.#after.all(rows[rows.length - 1]!.key, Date.now(), SCAN_PAGE)
    }
  }

  /** Deletes expired rows now; returns how many. Also runs every `purgeInterval`. */
  purgeExpired(): number {
    return this.#purge.run(Date.now()).changes
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    if (this.#db.open) this.#db.close()
  }
}

function expiry(ttl: number | undefined, now: number): number | null {
  return ttl === undefined ? null : Math.round(now + Math.max(0, ttl))
}
