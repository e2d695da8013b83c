/**
 * Load a plugin the way the server does (config dir, arguments, services), then call its
 * hooks one at a time and look at the verdicts, replies and log lines.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  type Connection,
  createLogger,
  createPluginHost,
  type DnsResolver,
  type FirstHookName,
  type HookArgs,
  type HookResult,
  isPluginDefinition,
  type LogEntry,
  type NotifyHookName,
  type PluginDefinition,
  type PluginHost,
  type PluginHostOptions,
  type ReduceHookName,
  type ReduceValue,
  type SessionHost,
  type Store,
} from '@postern/core'
import { type HookCallers, hookCallers } from './callers.js'
import type { TestConnectionInit } from './models.js'
import { type TestSession, testSession } from './test-session.js'

/** Config files as an object: name → file text or lines. */
export type ConfigFiles = Record<string, string | readonly string[]>

/** Writes config files into a new temp dir and returns its path. */
export function writeConfigDir(
  files: ConfigFiles,
  dir = mkdtempSync(path.join(tmpdir(), 'postern-test-')),
): string {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, typeof content === 'string' ? content : `${content.join('\n')}\n`)
  }
  return dir
}

/** A plugin for a `config/plugins` line: the definition, or the definition and its arguments. */
export type PluginEntry = PluginDefinition | { plugin: PluginDefinition; args?: string | readonly string[] }

export interface LoadPluginOptions {
  /** The words after the plugin name in `config/plugins`: an array or one string. */
  args?: string | readonly string[]
  /** Config files, or the path of an existing config dir. */
  config?: ConfigFiles | string
  /** Other plugins loaded before this one (for dependencies and interplay), e.g. mocks. */
  before?: readonly PluginEntry[]
  /** Other plugins loaded after this one (to see what it left for them, or to accept recipients). */
  after?: readonly PluginEntry[]
  store?: Store
  dns?: DnsResolver
  /** Highest level kept in `logs` (default 7, everything). */
  logLevel?: number
  /** Simulate another core version (compatibility tests). */
  coreVersion?: string
}

/**
 * A loaded plugin and ways to call its hooks: the typed callers (`connect`, `helo`, `ehlo`,
 * `mail`, `rcpt`, `data`, `data_post`, `queue`) build the session and transaction they need; the
 * generic `first`, `notify` and `reduce` run any hook with the arguments given.
 */
export interface PluginHarness extends HookCallers {
  readonly host: PluginHost
  readonly configDir: string
  /** Log entries written while loading and running. */
  readonly logs: LogEntry[]
  session(connection?: TestConnectionInit | Connection): TestSession
  /** Runs a first hook through the dispatcher (timeouts, code checks and all). */
  first<K extends FirstHookName>(
    hook: K,
    session: SessionHost | undefined,
    ...args: HookArgs<K>
  ): Promise<HookResult>
  notify<K extends NotifyHookName>(
    hook: K,
    session: SessionHost | undefined,
    ...args: HookArgs<K>
  ): Promise<void>
  reduce<K extends ReduceHookName>(
    hook: K,
    session: SessionHost | undefined,
    value: ReduceValue<K>,
    ...args: HookArgs<K>
  ): Promise<ReduceValue<K>>
  /** Writes a config file into the config dir (the running plugin sees the change). */
  writeConfig(name: string, content: string | readonly string[]): void
  /** Unloads the plugins and removes a temp config dir; calling it again does nothing. */
  close(): Promise<void>
}

function words(args: string | readonly string[] | undefined): string {
  if (args === undefined) return ''
  return typeof args === 'string' ? args : args.join(' ')
}

function entryOf(entry: PluginEntry): { plugin: PluginDefinition; args?: string | readonly string[] } {
  return isPluginDefinition(entry) ? { plugin: entry } : entry
}

export async function loadPlugin(
  plugin: PluginDefinition,
  options: LoadPluginOptions = {},
): Promise<PluginHarness> {
  const ownDir = typeof options.config !== 'string'
  const configDir = typeof options.config === 'string' ? options.config : writeConfigDir(options.config ?? {})
  const cleanup = () => {
    if (ownDir) rmSync(configDir, { recursive: true, force: true })
  }
  const logs: LogEntry[] = []
  const entries = [
    ...(options.before ?? []).map(entryOf),
    { plugin, args: options.args },
    ...(options.after ?? []).map(entryOf),
  ]
  let host: PluginHost
  try {
    host = await createPluginHost({
      configDir,
      definitions: entries.map((e) => e.plugin),
      pluginLines: entries.map((e) => `${e.plugin.name} ${words(e.args)}`),
      ...testHostServices(options, logs),
      ...(options.coreVersion ? { coreVersion: options.coreVersion } : {}),
    })
  } catch (err) {
    cleanup()
    throw err
  }
  return harnessOf(host, configDir, logs, cleanup)
}

/**
 * What every test host gets: a logger keeping each entry up to `logLevel` (default 7,
 * everything) in `logs`, no qmail control dir (only the test's own config counts), and the
 * store and resolver given.
 */
export function testHostServices(
  options: { store?: Store; dns?: DnsResolver; logLevel?: number },
  logs: LogEntry[],
): Pick<PluginHostOptions, 'log' | 'config' | 'store' | 'dns'> {
  return {
    log: createLogger({ level: (options.logLevel ?? 7) as 7, sink: (e) => logs.push(e) }),
    config: { qmailControlDir: false },
    ...(options.store ? { store: options.store } : {}),
    ...(options.dns ? { dns: options.dns } : {}),
  }
}

/**
 * The harness around a loaded host. `close()` may be called more than once (a test may close
 * early and a cleanup hook close again); `cleanup` runs once, after the host closed.
 */
export function harnessOf(
  host: PluginHost,
  configDir: string,
  logs: LogEntry[],
  cleanup: () => void,
): PluginHarness {
  const d = host.dispatcher
  let closed: Promise<void> | undefined
  const first: PluginHarness['first'] = (hook, s, ...args) => d.runFirst(hook, s, ...args)
  return {
    ...hookCallers(first),
    host,
    configDir,
    logs,
    session: (c) => testSession(c),
    first,
    notify: (hook, s, ...args) => d.runNotify(hook, s, ...args),
    reduce: (hook, s, value, ...args) => d.runReduce(hook, s, value, ...args),
    writeConfig(name, content) {
      writeConfigDir({ [name]: content }, configDir)
      host.config.files.reload()
    },
    close() {
      closed ??= host.close().then(cleanup)
      return closed
    },
  }
}
