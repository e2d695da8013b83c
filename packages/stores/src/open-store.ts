/**
 * `config/store` → a Store: `memory` (default), `sqlite:PATH`, `redis://…` / `rediss://…`.
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

export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<Store> {
  const s = spec.trim()
  if (s === '' || s === 'memory') return new MemoryStore()
  if (s.startsWith('sqlite:')) {
    const file = s.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') // sqlite:///var/x.db works too
    if (!file)
      throw new StoreSpecError('store spec sqlite: needs a file path, e.g. sqlite:/var/lib/postern/state.db')
    const { SqliteStore } = await import('@postern/store-sqlite')
    return new SqliteStore(file === ':memory:' ? file : path.resolve(options.baseDir ?? process.cwd(), file))
  }
  if (s.startsWith('redis://') || s.startsWith('rediss://')) {
    const { RedisStore } = await import('@postern/store-redis')
    return RedisStore.connect(s, options.onError ? { onError: options.onError } : {})
  }
  throw new StoreSpecError(`unknown store ${JSON.stringify(s)}: use memory, sqlite:PATH or redis://host:port`)
}
