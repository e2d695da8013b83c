/**
 * The plugin host: everything a server needs around the hooks, in one object. It reads the
 * config directory, builds the shared services (logger, DNS, store), loads `config/plugins`
 * and wires the `logging` and `config` hooks. The engine (and tests) create one per config.
 */
import path from 'node:path'
import { OK } from './codes.js'
import { ConfigDir, type ConfigDirOptions } from './config-dir.js'
import { HookDispatcher } from './dispatcher.js'
import { createDnsResolver, type DnsResolver } from './dns.js'
import type { PluginHooks } from './hook-types.js'
import { dnsServersSetting, positiveSeconds, secondsSetting } from './host-settings.js'
import { checkPlugins, PluginLoadError, type ResolvedPlugin, resolvePlugins } from './loader.js'
import {
  createLogger,
  LOG,
  type LogEntry,
  type LogLevel,
  parseLevel,
  parseLevelAdjust,
  type RootLogger,
  stderrSink,
} from './logger.js'
import type { PluginDefinition, PluginSetupContext } from './plugin.js'
import { PluginArgs } from './plugin-args.js'
import { ConfigService } from './plugin-config.js'
import { parsePluginLines } from './plugins-file.js'
import { MemoryStore, prefixedStore, type Store } from './store.js'
import { CORE_VERSION } from './version.js'

export interface PluginHostOptions {
  /** The config directory (qpsmtpd layout). */
  configDir: string
  /** Plugins given in code; a `config/plugins` line names them like installed ones. */
  definitions?: readonly PluginDefinition[]
  /** Used instead of `config/plugins` (embedding): lines as they would be written there. */
  pluginLines?: readonly string[]
  /** Where to look for plugin packages (default: the config dir, then the working directory). */
  searchDirs?: readonly string[]
  store?: Store
  dns?: DnsResolver
  log?: RootLogger
  config?: ConfigDirOptions
  /** Version the plugins are checked against (tests use it to simulate another core). */
  coreVersion?: string
}

/** A loaded plugin, as `postern plugins` prints it. */
export interface LoadedPluginInfo {
  readonly instance: string
  readonly name: string
  readonly packageName?: string
  readonly packageVersion?: string
  readonly core: string
  readonly hooks: readonly string[]
}

export interface PluginHost {
  readonly coreVersion: string
  readonly config: ConfigService
  readonly dispatcher: HookDispatcher
  readonly log: RootLogger
  readonly dns: DnsResolver
  readonly store: Store
  readonly plugins: readonly LoadedPluginInfo[]
  /** Unloads plugins (their setup signal aborts) and stops watching files; closes the store. */
  close(): Promise<void>
}

const DEFAULT_TIMEOUT_S = 30
const DEFAULT_DNS_TIMEOUT_S = 5
/** How long a DNS failure (SERVFAIL, timeout) is remembered, so a dead list costs one wait. */
const DEFAULT_DNS_FAILURE_TTL_S = 5

function pluginLinesFrom(config: ConfigDir, given: readonly string[] | undefined) {
  if (!given) return parsePluginLines(config.lines('plugins'))
  return parsePluginLines(
    given
      .map((value, i) => ({ value, file: '(plugins option)', line: i + 1 }))
      .filter((l) => l.value.trim() && !l.value.trim().startsWith('#')),
  )
}

/** Resolves and checks plugins without setting them up (for `postern plugins`). */
export async function inspectPlugins(
  options: PluginHostOptions,
): Promise<{ plugin: ResolvedPlugin; compatible: boolean; problems: readonly string[] }[]> {
  const files = new ConfigDir(options.configDir, { ...options.config, watch: false })
  const lines = pluginLinesFrom(files, options.pluginLines)
  const resolved = await resolvePlugins(lines, {
    definitions: options.definitions ?? [],
    searchDirs: options.searchDirs ?? [files.dir, process.cwd()],
    baseDir: files.dir,
  })
  const reports = checkPlugins(resolved, options.coreVersion ?? CORE_VERSION)
  return resolved.map((plugin, i) => ({ plugin, ...reports[i]! }))
}

export async function createPluginHost(options: PluginHostOptions): Promise<PluginHost> {
  const coreVersion = options.coreVersion ?? CORE_VERSION
  const files = new ConfigDir(options.configDir, options.config)
  let defaultTimeout: number
  let dns: DnsResolver
  try {
    defaultTimeout = secondsSetting(files, 'plugin_timeout', DEFAULT_TIMEOUT_S)
    dns =
      options.dns ??
      createDnsResolver({
        servers: dnsServersSetting(files),
        timeout: secondsSetting(files, 'dns_timeout', DEFAULT_DNS_TIMEOUT_S),
        failureTtl: secondsSetting(files, 'dns_failure_ttl', DEFAULT_DNS_FAILURE_TTL_S, { zero: true }),
      })
  } catch (err) {
    files.close()
    throw err
  }
  const loglevel = parseLevel(files.get('loglevel', String(LOG.WARN))) ?? LOG.WARN
  const log = options.log ?? createLogger({ level: loglevel as LogLevel })
  const config = new ConfigService(files, log.child({ plugin: 'config' }))
  const store = options.store ?? new MemoryStore()
  const dispatcher = new HookDispatcher({ log })
  const unload = new AbortController()

  // Entries go through the `logging` hook; anything no logger took goes to stderr.
  const sink = (entry: LogEntry) => {
    if (entry.hook === 'logging' || !dispatcher.has('logging')) return stderrSink(entry)
    void dispatcher.runFirst('logging', undefined, entry).then((r) => {
      if (r.code !== OK) stderrSink(entry)
    })
  }
  if (!options.log) log.setSink(sink)

  config.useHooks({
    get active() {
      return dispatcher.has('config') || dispatcher.has('user_config')
    },
    config: async (key) => {
      const r = await dispatcher.runFirst('config', undefined, key)
      return r.code === OK ? r.message : undefined
    },
    userConfig: async (address, key) => {
      const r = await dispatcher.runFirst('user_config', undefined, address, key)
      return r.code === OK ? r.message : undefined
    },
  })

  let resolved: ResolvedPlugin[]
  try {
    resolved = await resolvePlugins(pluginLinesFrom(files, options.pluginLines), {
      definitions: options.definitions ?? [],
      searchDirs: options.searchDirs ?? [files.dir, process.cwd()],
      baseDir: files.dir,
    })
  } catch (err) {
    files.close()
    throw err
  }
  const reports = checkPlugins(resolved, coreVersion)
  const refused = reports.findIndex((r) => !r.compatible)
  if (refused >= 0) {
    files.close()
    // Every problem in the message; `plugin` names the first plugin refused.
    const first = resolved[refused]!.line
    throw new PluginLoadError(reports.flatMap((r) => r.problems).join('\n'), first.instance, first)
  }

  const loaded: LoadedPluginInfo[] = []
  for (const p of resolved) {
    const args = new PluginArgs(p.line.args)
    const adjust = parseLevelAdjust(args.option('loglevel'))
    const plog = log.child({ plugin: p.line.instance }, adjust)
    const timeoutArg = args.option('hook_timeout')
    const timeout = timeoutArg === undefined ? defaultTimeout : positiveSeconds(timeoutArg)
    if (timeout === undefined) {
      unload.abort()
      files.close()
      throw new PluginLoadError(
        `plugin ${p.line.instance} (${p.line.file}:${p.line.line}): hook_timeout must be a positive number of seconds, not ${JSON.stringify(timeoutArg)}`,
        p.line.instance,
        p.line,
      )
    }
    let hooks = p.definition.hooks
    if (p.definition.setup) {
      // A short hook_timeout is for per-call work; setup gets at least plugin_timeout.
      const setupTimeout = Math.max(timeout, defaultTimeout)
      try {
        const made = await withSetupDeadline(p.definition.setup, setupTimeout, {
          name: p.definition.name,
          instance: p.line.instance,
          args,
          config,
          log: plog,
          dns,
          store: prefixedStore(store, `${p.definition.name}:`),
          sharedStore: (namespace) => prefixedStore(store, `${namespace}:`),
          coreVersion,
          signal: unload.signal,
        })
        hooks = made ? { ...(hooks ?? {}), ...made } : hooks
      } catch (err) {
        unload.abort()
        files.close()
        throw new PluginLoadError(
          `plugin ${p.line.instance} (${p.line.file}:${p.line.line}) failed to load: ${(err as Error).message}`,
          p.line.instance,
          p.line,
        )
      }
    }
    dispatcher.register(
      {
        info: { name: p.definition.name, instance: p.line.instance, args },
        log: plog,
        timeout,
        continueOnError: args.option('on_error') === 'continue',
      },
      hooks ?? {},
    )
    const info: { -readonly [K in keyof LoadedPluginInfo]: LoadedPluginInfo[K] } = {
      instance: p.line.instance,
      name: p.definition.name,
      core: p.definition.core,
      hooks: dispatcher.hooksOf(p.line.instance),
    }
    if (p.module?.packageName) info.packageName = p.module.packageName
    if (p.module?.packageVersion) info.packageVersion = p.module.packageVersion
    loaded.push(info)
  }

  return {
    coreVersion,
    config,
    dispatcher,
    log,
    dns,
    store,
    plugins: loaded,
    async close() {
      unload.abort()
      files.close()
      if (!options.store) await store.close()
    },
  }
}

/**
 * Runs a plugin's setup with a deadline: a setup that never settles (a server that never
 * answers) would otherwise hold the whole server's start. On timeout the caller aborts the
 * unload signal, which the setup was given.
 */
async function withSetupDeadline(
  setup: NonNullable<PluginDefinition['setup']>,
  ms: number,
  ctx: PluginSetupContext,
): Promise<PluginHooks | undefined | void> {
  const made = setup(ctx)
  if (typeof (made as PromiseLike<unknown> | undefined)?.then !== 'function')
    return made as PluginHooks | undefined
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`setup did not finish within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([made, late])
  } finally {
    clearTimeout(timer)
  }
}

/** The directories searched for plugin packages by default. */
export function defaultSearchDirs(configDir: string): string[] {
  return [path.resolve(configDir), process.cwd()]
}
