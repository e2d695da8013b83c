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
  return stores.openStore(spec, {
    baseDir: configDir,
    onError: (e) => log?.warn(`store: ${e.message}`),
  })
}
