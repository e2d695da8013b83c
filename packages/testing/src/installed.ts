/**
 * Load plugins the way a site installs them: packages under `node_modules`, named in
 * `config/plugins` by their plugin names or aliases. This is what shows that a package's
 * `postern` field (plugin name, aliases) and its built entry points work, which loading the
 * definition from source (`loadPlugin`) cannot.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createPluginHost, type DnsResolver, type LogEntry, type PluginHost, type Store } from '@postern/core'
import {
  type ConfigFiles,
  harnessOf,
  type PluginHarness,
  testHostServices,
  writeConfigDir,
} from './harness.js'

export interface LoadInstalledOptions {
  /** Config files; `plugins` names the plugins to load, as in a site's config dir. */
  config: ConfigFiles
  store?: Store
  dns?: DnsResolver
  /** Highest level kept in `logs` (default 7, everything). */
  logLevel?: number
}

/** Symlinks a package directory into `nodeModules` under the name its package.json gives. */
function install(nodeModules: string, packageDir: string): void {
  const { name } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { name: string }
  const link = path.join(nodeModules, name)
  mkdirSync(path.dirname(link), { recursive: true })
  symlinkSync(path.resolve(packageDir), link, 'dir')
}

/**
 * Installs the package directories (each symlinked into a temp `node_modules` under its package
 * name; give a plugin's dependencies too when it needs them) and loads `config/plugins` from
 * there. `close()` unloads and removes the temp dir.
 */
export async function loadInstalled(
  packageDirs: string | readonly string[],
  options: LoadInstalledOptions,
): Promise<PluginHarness> {
  const root = mkdtempSync(path.join(tmpdir(), 'postern-installed-'))
  const configDir = path.join(root, 'config')
  const cleanup = () => rmSync(root, { recursive: true, force: true })
  const logs: LogEntry[] = []
  let host: PluginHost
  try {
    for (const dir of typeof packageDirs === 'string' ? [packageDirs] : packageDirs)
      install(path.join(root, 'node_modules'), dir)
    mkdirSync(configDir)
    writeConfigDir(options.config, configDir)
    host = await createPluginHost({
      configDir,
      searchDirs: [root],
      ...testHostServices(options, logs),
    })
  } catch (err) {
    cleanup()
    throw err
  }
  return harnessOf(host, configDir, logs, cleanup)
}
