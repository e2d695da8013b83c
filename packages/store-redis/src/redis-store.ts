/**
 * Core's `Store` in Redis, for several Postern nodes sharing state. The client is set up to fail
 * fast rather than wait: while Redis is unreachable a command is refused at once (no offline
 * queue), a command Redis does not answer fails after `commandTimeout`, and the client keeps
 * reconnecting in the background, so plugins apply their store-down policy within their hook
 * timeout and use Redis again as soon as it is back.
 */

import type { Store, StoreEntry, StoreSetOptions } from '@postern/core'
import { Redis, type RedisOptions } from 'ioredis'
import { escapeGlob } from './glob.js'

export interface RedisStoreOptions {
  /** Prepended to every key in Redis, so a shared database stays tidy. Default `postern:`. */
  prefix?: string
  /** Ms to establish a connection (each attempt). Default 2000. */
  connectTimeout?: number
  /** Ms a command may wait for Redis's answer before it fails. Default 1000. */
  commandTimeout?: number
  /** Longest wait between reconnection attempts, in ms. Default 2000. */
  maxReconnectDelay?: number
  /** Connection errors (one per failed attempt while Redis is down): log them, throttled. */
  onError?: (error: Error) => void
  /** Anything else for ioredis (TLS, Sentinel, username); the options above take precedence. */
  redis?: RedisOptions
}

/**
 * EXISTS then INCRBY then PEXPIRE in one script: Redis runs a script atomically, so the TTL is set
 * exactly when this call created the key, never on a later increment.
 */
const INCR_SCRIPT = `
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value`

interface IncrCommand {
  posternIncr(key: string, by: number, ttl: number): Promise<number>
}

const SCAN_COUNT = 500

export class RedisStore implements Store {
  readonly prefix: string
  readonly #client: Redis & IncrCommand
  #lastError: Error | undefined

  /**
   * Connects and waits until Redis answers (up to `connectTimeout`), so a wrong address fails at
   * startup with a clear message. Later outages do not throw here: commands fail until it is back.
   * `url`: `redis://[user:password@]host[:port][/db]`, `rediss://` for TLS; a `prefix` query
   * parameter sets the key prefix.
   */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const parsed = new URL(url)
    const prefix = parsed.searchParams.get('prefix')
    parsed.searchParams.delete('prefix')
    const store = new RedisStore(parsed.toString(), {
      ...options,
      ...(prefix !== null ? { prefix } : {}),
    })
    await store.ready(options.connectTimeout ?? 2000, redact(parsed))
    return store
  }

  constructor(url: string, options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? 'postern:'
    const maxDelay = options.maxReconnectDelay ?? 2000
    this.#client = new Redis(url, {
      ...options.redis,
      connectTimeout: options.connectTimeout ?? 2000,
      commandTimeout: options.commandTimeout ?? 1000,
      // Refuse commands at once while disconnected instead of queueing them until Redis returns.
      enableOfflineQueue: false,
      // A command in flight when the connection dropped fails; it is not replayed minutes later.
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 1,
      // Never give up reconnecting: Redis coming back must be noticed without a restart.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
      lazyConnect: false,
    }) as Redis & IncrCommand
    this.#client.defineCommand('posternIncr', { numberOfKeys: 1, lua: INCR_SCRIPT })
    // Without a listener ioredis prints every failed attempt to stderr.
    this.#client.on('error', (err: Error) => {
      this.#lastError = err
      options.onError?.(err)
    })
  }

  /** ioredis's connection status: `ready` when commands can run. */
  get status(): string {
    return this.#client.status
  }

  /** Resolves once connected; rejects after `timeoutMs` with the last connection error. */
  ready(timeoutMs = 2000, name = 'redis'): Promise<void> {
    if (this.#client.status === 'ready') return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#client.off('ready', onReady)
        this.#client.disconnect()
        const why = this.#lastError ? `: ${this.#lastError.message}` : ''
        reject(new Error(`cannot connect to ${name} within ${timeoutMs} ms${why}`))
      }, timeoutMs)
      const onReady = () => {
        clearTimeout(timer)
        resolve()
      }
      this.#client.once('ready', onReady)
    })
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#client.get(this.prefix + key)) ?? undefined
  }

  async set(key: string, value: string, options: StoreSetOptions = {}): Promise<void> {
    if (options.ttl === undefined) await this.#client.set(this.prefix + key, value)
    else await this.#client.set(this.prefix + key, value, 'PX', ms(options.ttl))
  }

  async incr(key: string, by = 1, options: StoreSetOptions = {}): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new TypeError(`incr by ${by}: not an integer`)
    const ttl = options.ttl === undefined ? 0 : ms(options.ttl)
    return Number(await this.#client.posternIncr(this.prefix + key, by, ttl))
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#client.del(this.prefix + key)) > 0
  }

  async *scan(prefix: string): AsyncIterable<StoreEntry> {
    const match = `${escapeGlob(this.prefix + prefix)}*`
    // SCAN may return a key more than once while the keyspace is resized.
    const seen = new Set<string>()
    let cursor = '0'
    do {
      const [next, keys] = await this.#client.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT)
      cursor = next
      const fresh = keys.filter((k) => !seen.has(k))
      if (!fresh.length) continue
      for (const k of fresh) seen.add(k)
      const pipe = this.#client.pipeline()
      for (const k of fresh) pipe.get(k).pttl(k)
      const replies = (await pipe.exec()) ?? []
      const now = Date.now()
      for (let i = 0; i < fresh.length; i++) {
        const [valueErr, value] = replies[2 * i] ?? []
        const [ttlErr, ttl] = replies[2 * i + 1] ?? []
        if (valueErr || ttlErr) throw valueErr ?? ttlErr
        if (typeof value !== 'string') continue // deleted or expired since SCAN saw it
        const key = fresh[i]!.slice(this.prefix.length)
        yield typeof ttl === 'number' && ttl > 0 ? { key, value, expiresAt: now + ttl } : { key, value }
      }
    } while (cursor !== '0')
  }

  async close(): Promise<void> {
    try {
      if (this.#client.status === 'ready') await this.#client.quit()
    } catch {
      // Already gone: nothing to say goodbye to.
    } finally {
      this.#client.disconnect()
    }
  }
}

/** Redis wants whole milliseconds, at least 1 (0 would be an error, not "expire now"). */
function ms(ttl: number): number {
  return Math.max(1, Math.ceil(ttl))
}

function redact(url: URL): string {
  const u = new URL(url.toString())
  if (u.password) u.password = '***'
  return u.toString()
}
