/**
 * A small key-value store that plugins share for state that outlives a transaction
 * (greylisting triplets, rate counters, blacklists). Values are strings so every backend
 * (memory, SQLite, Redis) stores them the same way; plugins serialise what they need.
 */
import { LRUCache } from 'lru-cache'

export interface StoreSetOptions {
  /** Time to live in milliseconds; absent means no expiry. */
  ttl?: number
}

export interface StoreEntry {
  readonly key: string
  readonly value: string
  /** Absolute expiry (ms since epoch), if any. */
  readonly expiresAt?: number
}

export interface Store {
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, options?: StoreSetOptions): Promise<void>
  /**
   * Adds `by` (default 1) to an integer value, atomically, creating it at 0 first. The TTL is
   * set only when the key is created, so a counter expires a fixed time after its first event.
   */
  incr(key: string, by?: number, options?: StoreSetOptions): Promise<number>
  /** True when the key existed. */
  delete(key: string): Promise<boolean>
  /** Every live entry whose key starts with `prefix`. */
  scan(prefix: string): AsyncIterable<StoreEntry>
  close(): Promise<void>
}

/** Namespaces a store so plugins sharing one backend cannot collide: `greylisting:` + key. */
export function prefixedStore(store: Store, prefix: string): Store {
  return {
    get: (k) => store.get(prefix + k),
    set: (k, v, o) => store.set(prefix + k, v, o),
    incr: (k, by, o) => store.incr(prefix + k, by, o),
    delete: (k) => store.delete(prefix + k),
    async *scan(p) {
      for await (const e of store.scan(prefix + p)) {
        yield e.expiresAt === undefined
          ? { key: e.key.slice(prefix.length), value: e.value }
          : { key: e.key.slice(prefix.length), value: e.value, expiresAt: e.expiresAt }
      }
    },
    close: async () => {},
  }
}

export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first. Default 100,000. */
  max?: number
}

interface Item {
  value: string
  expiresAt?: number
}

/** The in-process store: fine for one process, lost on restart. */
export class MemoryStore implements Store {
  readonly #max: number
  #lru: LRUCache<string, Item> | undefined

  constructor(options: MemoryStoreOptions = {}) {
    this.#max = options.max ?? 100_000
  }

  /**
   * Made on first use: lru-cache allocates its index arrays for `max` entries up front (~15 ms
   * and ~2 MB for 100,000), and most servers never touch the default store.
   */
  get #cache(): LRUCache<string, Item> {
    this.#lru ??= new LRUCache<string, Item>({ max: this.#max, ttlAutopurge: false })
    return this.#lru
  }

  async get(key: string): Promise<string | undefined> {
    return this.#cache.get(key)?.value
  }

  async set(key: string, value: string, options: StoreSetOptions = {}): Promise<void> {
    this.#put(key, value, options.ttl)
  }

  async incr(key: string, by = 1, options: StoreSetOptions = {}): Promise<number> {
    const item = this.#cache.get(key)
    if (!item) {
      this.#put(key, String(by), options.ttl)
      return by
    }
    const current = Number.parseInt(item.value, 10)
    if (!Number.isFinite(current)) throw new TypeError(`store value at ${key} is not an integer`)
    const next = current + by
    // Keep the original expiry: a counter's window starts at its first event.
    const remaining = item.expiresAt === undefined ? undefined : Math.max(1, item.expiresAt - Date.now())
    this.#put(key, String(next), remaining, item.expiresAt)
    return next
  }

  async delete(key: string): Promise<boolean> {
    return this.#cache.delete(key)
  }

  async *scan(prefix: string): AsyncIterable<StoreEntry> {
    for (const [key, item] of this.#cache.entries()) {
      if (!key.startsWith(prefix)) continue
      yield item.expiresAt === undefined
        ? { key, value: item.value }
        : { key, value: item.value, expiresAt: item.expiresAt }
    }
  }

  async close(): Promise<void> {
    this.#lru?.clear()
  }

  #put(key: string, value: string, ttl: number | undefined, expiresAt?: number): void {
    if (ttl === undefined) {
      this.#cache.set(key, { value })
      return
    }
    this.#cache.set(key, { value, expiresAt: expiresAt ?? Date.now() + ttl }, { ttl })
  }
}
