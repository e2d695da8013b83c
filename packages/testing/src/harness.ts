/**
 * Load a plugin the way the server does (config dir, arguments, services), then call its
 * hooks one at a time and look at the verdicts, replies and log lines.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  Connection,
  createLogger,
  createPluginHost,
  type DnsResolver,
  type EnhancedCode,
  type FirstHookName,
  type HookArgs,
  type HookResult,
  type LogEntry,
  type NotifyHookName,
  type PluginDefinition,
  type PluginHost,
  type PluginHostOptions,
  type ReduceHookName,
  type ReduceValue,
  type SessionHost,
  type Store,
  type Transaction,
} from '@postern/core'
import {
  type TestConnectionInit,
  type TestTransactionInit,
  testConnection,
  testTransaction,
} from './models.js'

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

/** A session as the engine would give the dispatcher, recording what plugins wrote. */
export interface TestSession extends SessionHost {
  readonly connection: Connection
  transaction: Transaction | undefined
  /** Replies plugins wrote with `ctx.respond` (`"250 text"`, one string per line). */
  readonly replies: string[]
  /** The total reply delay plugins asked for. */
  readonly delay: number
  /** Simulates the client going away: aborts the session signal. */
  disconnect(): void
  /** Starts a transaction (as MAIL does). */
  begin(init?: TestTransactionInit): Transaction
}

export function testSession(connection: TestConnectionInit | Connection = {}): TestSession {
  const conn = connection instanceof Connection ? connection : testConnection(connection)
  const controller = new AbortController()
  let delay = 0
  const session: TestSession = {
    connection: conn,
    transaction: undefined,
    replies: [],
    get delay() {
      return delay
    },
    signal: controller.signal,
    async respond(code: number, message: string | readonly string[], enhanced?: EnhancedCode) {
      const lines = typeof message === 'string' ? message.split('\n') : [...message]
      for (const [i, l] of lines.entries()) {
        session.replies.push(
          `${code}${i < lines.length - 1 ? '-' : ' '}${enhanced ? `${enhanced} ` : ''}${l}`,
        )
      }
    },
    delayReplies(ms: number) {
      delay = ms === 0 ? 0 : delay + ms
    },
    disconnect() {
      controller.abort(new Error('client disconnected'))
    },
    begin(init?: TestTransactionInit) {
      session.transaction = testTransaction(conn, init)
      return session.transaction
    },
  }
  return session
}

export interface LoadPluginOptions {
  /** The words after the plugin name in `config/plugins`: an array or one string. */
  args?: string | readonly string[]
  /** Config files, or the path of an existing config dir. */
  config?: ConfigFiles | string
  /** Other plugins loaded before this one (for dependencies and interplay). */
  before?: readonly { plugin: PluginDefinition; args?: string | readonly string[] }[]
  store?: Store
  dns?: DnsResolver
  /** Highest level kept in `logs` (default 7, everything). */
  logLevel?: number
  /** Simulate another core version (compatibility tests). */
  coreVersion?: string
}

export interface PluginHarness {
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
  const before = options.before ?? []
  const lines = [
    ...before.map((b) => `${b.plugin.name} ${words(b.args)}`),
    `${plugin.name} ${words(options.args)}`,
  ]
  let host: PluginHost
  try {
    host = await createPluginHost({
      configDir,
      definitions: [...before.map((b) => b.plugin), plugin],
      pluginLines: lines,
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
  return {
    host,
    configDir,
    logs,
    session: (c) => testSession(c),
    first: (hook, s, ...args) => d.runFirst(hook, s, ...args),
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
