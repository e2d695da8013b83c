/**
 * The real engine in a test: `openSession` runs a whole SMTP conversation in memory against a
 * plugin list (`command('MAIL FROM:<a@b>')` → the reply), `startServer` boots the engine on an
 * ephemeral loopback port for real clients (swaks, nodemailer, smtplib).
 */
import { rmSync } from 'node:fs'
import {
  createLogger,
  createPluginHost,
  type LogEntry,
  type PluginDefinition,
  type PluginHost,
} from '@postern/core'
import {
  createServer,
  type MemorySession,
  openMemorySession,
  type PosternServer,
  type Settings,
} from '@postern/smtpd'
import { type ConfigFiles, writeConfigDir } from './harness.js'

export interface EngineOptions {
  /** Plugins given in code. */
  plugins?: readonly PluginDefinition[]
  /** `config/plugins` lines (default: each plugin's name, in order). */
  pluginLines?: readonly string[]
  /** Config files, or the path of an existing config dir. */
  config?: ConfigFiles | string
  /** Highest log level kept in `logs` (default 6). */
  logLevel?: number
}

interface Prepared {
  dir: string
  own: boolean
  lines: readonly string[]
  logs: LogEntry[]
}

function prepare(options: EngineOptions): Prepared {
  const own = typeof options.config !== 'string'
  const dir =
    typeof options.config === 'string'
      ? options.config
      : writeConfigDir({ me: 'mx.test.example\n', ...options.config })
  const lines = options.pluginLines ?? (options.plugins ?? []).map((p) => p.name)
  return { dir, own, lines, logs: [] }
}

export interface TestSmtpSession extends MemorySession {
  readonly host: PluginHost
  readonly logs: LogEntry[]
  /** Ends the session, unloads the plugins and removes the temp config dir. */
  close(): Promise<void>
}

/** An SMTP session in memory against the real engine and the given plugins. */
export async function openSession(
  options: EngineOptions & { settings?: Partial<Settings> } = {},
): Promise<TestSmtpSession> {
  const p = prepare(options)
  const host = await createPluginHost({
    configDir: p.dir,
    definitions: options.plugins ?? [],
    pluginLines: p.lines,
    log: createLogger({ level: (options.logLevel ?? 6) as 6, sink: (e) => p.logs.push(e) }),
    config: { qmailControlDir: false },
  })
  const session = openMemorySession({ host, ...(options.settings ? { settings: options.settings } : {}) })
  return Object.assign(session, {
    host,
    logs: p.logs,
    async close() {
      session.end()
      await session.ended
      await host.close()
      if (p.own) rmSync(p.dir, { recursive: true, force: true })
    },
  })
}

export interface TestServer {
  readonly server: PosternServer
  readonly port: number
  readonly configDir: string
  readonly logs: LogEntry[]
  close(): Promise<void>
}

/** The engine listening on 127.0.0.1 at a free port, with the given plugins. */
export async function startServer(options: EngineOptions = {}): Promise<TestServer> {
  const p = prepare(options)
  const server = createServer({
    config: p.dir,
    ...(options.plugins ? { plugins: options.plugins } : {}),
    pluginLines: p.lines,
    listen: ['127.0.0.1:0'],
    log: createLogger({ level: (options.logLevel ?? 6) as 6, sink: (e) => p.logs.push(e) }),
    host: { config: { qmailControlDir: false } },
  })
  const [addr] = await server.listen()
  return {
    server,
    port: addr!.port,
    configDir: p.dir,
    logs: p.logs,
    async close() {
      await server.close(1000)
      if (p.own) rmSync(p.dir, { recursive: true, force: true })
    },
  }
}
