/**
 * `config/store` selects where plugin state lives: `memory` (default), `sqlite:PATH` or
 * `redis://…`. The backends are separate packages; @postern/stores opens them by spec, so the
 * engine loads it only when the config asks for more than memory.
 */
import { pathToFileURL } from 'node:url'
import { ConfigDir, type Logger, resolvePluginModule, type Store } from '@postern/core'

interface StoresModule {
  openStore(spec: string, options: { baseDir?: string; onError?: (e: Error) => void }): Promise<Store>
}

/** @postern/stores from the site's node_modules (above the config dir or the working dir), or ours. */
export async function importStores<T>(configDir: string): Promise<T> {
  const found = resolvePluginModule('@postern/stores', {
    searchDirs: [configDir, process.cwd()],
    baseDir: configDir,
  })
  // A computed specifier keeps bundlers from pulling the backends into the engine.
  return (await import(found ? pathToFileURL(found.entry).href : ['@postern', 'stores'].join('/'))) as T
}

/** The store named in `config/store`, or undefined for the default in-memory store. */
export async function openSiteStore(configDir: string, log?: Logger): Promise<Store | undefined> {
  const spec = new ConfigDir(configDir, { watch: false }).get('store')
  if (!spec || spec === 'memory') return undefined
  let stores: StoresModule
  try {
    stores = await importStores<StoresModule>(configDir)
  } catch {
    throw new Error(`config/store is "${spec}": install @postern/stores (and the backend package) to use it`)
  }
  const report = log ? storeErrorReporter(log) : undefined
  // Assigned once open; the error handler runs before that too (failed first attempts).
  let store: Store | undefined
  let watch: NodeJS.Timeout | undefined
  const stopWatching = () => {
    clearInterval(watch)
    watch = undefined
  }
  try {
    store = await stores.openStore(spec, {
      baseDir: configDir,
      onError: (e) => {
        report?.error(e)
        // The backend says nothing when it is back; its status does (RedisStore: `ready`).
        if (report && !watch)
          watch = setInterval(() => {
            const status = (store as { readonly status?: unknown } | undefined)?.status
            if (status !== 'ready' && status !== 'end') return
            stopWatching()
            if (status === 'ready') report.recovered()
          }, RECOVERY_POLL_MS).unref()
      },
    })
  } catch (err) {
    stopWatching()
    throw err
  }
  return store
}

const RECOVERY_POLL_MS = 1000

export interface StoreErrorReporter {
  /** A failed connection attempt. */
  error(e: Error): void
  /** The store answers again: one line, if an outage was reported. */
  recovered(): void
}

/**
 * Logs a store outage without flooding: the first failed attempt at once, then at most one line
 * per `intervalMs` (default a minute) with the number of attempts since the last line, and one
 * line when the store is back. A Redis client retries every couple of seconds while it is down.
 */
export function storeErrorReporter(
  log: Logger,
  options: { intervalMs?: number; now?: () => number } = {},
): StoreErrorReporter {
  const interval = options.intervalMs ?? 60_000
  const now = options.now ?? Date.now
  let down = false
  let total = 0
  let unreported = 0
  let lastLine = 0
  return {
    error(e) {
      total++
      unreported++
      const t = now()
      if (down && t - lastLine < interval) return
      log.warn(
        down
          ? `store: still unavailable, ${unreported} failed attempt(s) since the last report: ${e.message}`
          : `store: ${e.message} (retrying; further failures reported at most every ${Math.round(interval / 1000)} s)`,
      )
      down = true
      unreported = 0
      lastLine = t
    },
    recovered() {
      if (!down) return
      // At the outage's level: whoever saw it go sees it come back.
      log.warn(`store: available again after ${total} failed attempt(s)`)
      down = false
      total = 0
      unreported = 0
    },
  }
}
