/**
 * `config/store` → a Store: `memory` (default), `sqlite:PATH[?busy_timeout=MS]`, `redis://…` /
 * `rediss://…`.
 * The SQLite and Redis packages are imported only when named, so a site using one backend never
 * loads the other (better-sqlite3 is a native module).
 */
import path from 'node:path'
import { MemoryStore, type Store } from '@postern/core'

export interface OpenStoreOptions {
  /** A relative `sqlite:` path is resolved against this dir (the config dir); default: the working dir. */
  baseDir?: string
  /** Connection errors of a Redis store (one per failed attempt while it is down). */
  onError?: (error: Error) => void
}

export class StoreSpecError extends Error {
  override name = 'StoreSpecError'
}

export interface SqliteSpec {
  /** As written: relative paths are resolved by the caller. */
  readonly file: string
  /** `?busy_timeout=MS`; undefined: the store's default. */
  readonly busyTimeout: number | undefined
}

/**
 * `sqlite:PATH[?busy_timeout=MS]` (also `sqlite:///abs/path`). Only a final `?` followed by
 * known `key=value` options is an option list, so a `?` elsewhere in a path stays part of it.
 */
export function parseSqliteSpec(spec: string): SqliteSpec {
  let file = spec
    .trim()
    .slice('sqlite:'.length)
    .replace(/^\/\/(?=\/)/, '') // sqlite:///var/x.db works too
  let busyTimeout: number | undefined
  const q = file.lastIndexOf('?')
  if (q >= 0 && /^[a-z_]+=[^&]*(&[a-z_]+=[^&]*)*$/.test(file.slice(q + 1))) {
    for (const [key, value] of new URLSearchParams(file.slice(q + 1))) {
      if (key !== 'busy_timeout')
        throw new StoreSpecError(`unknown sqlite store option ${JSON.stringify(key)} (known: busy_timeout)`)
      if (!/^\d{1,7}$/.test(value))
        throw new StoreSpecError(
          `sqlite store busy_timeout must be milliseconds (0 or more), not ${JSON.stringify(value)}`,
        )
      busyTimeout = Number(value)
    }
    file = file.slice(0, q)
  }
  if (!file)
    throw new StoreSpecError('store spec sqlite: needs a file path, e.g. sqlite:/var/lib/postern/state.db')
  return { file, busyTimeout }
}

export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<Store> {
  const s = spec.trim()
  if (s === '' || s === 'memory') return new MemoryStore()
  if (s.startsWith('sqlite:')) {
    const { file, busyTimeout } = parseSqliteSpec(s)
    const { SqliteStore } = await import('@postern/store-sqlite')
    return new SqliteStore(
      file === ':memory:' ? file : path.resolve(options.baseDir ?? process.cwd(), file),
      busyTimeout === undefined ? {} : { busyTimeout },
    )
  }
  if (s.startsWith('redis://') || s.startsWith('rediss://')) {
    const { RedisStore } = await import('@postern/store-redis')
    return RedisStore.connect(s, options.onError ? { onError: options.onError } : {})
  }
  throw new StoreSpecError(`unknown store ${JSON.stringify(s)}: use memory, sqlite:PATH or redis://host:port`)
}
