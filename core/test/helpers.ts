import {
  Connection,
  createLogger,
  HookDispatcher,
  type LogEntry,
  PluginArgs,
  type PluginHooks,
  type SessionHost,
  Transaction,
} from '../src/index.js'

export function captureLogger() {
  const entries: LogEntry[] = []
  const log = createLogger({ level: 7, sink: (e) => entries.push(e) })
  return { log, entries }
}

export function makeHost(withTransaction = true): SessionHost & { replies: string[]; delay: number } {
  const connection = new Connection({
    remoteIp: '192.0.2.1',
    remotePort: 40000,
    localIp: '127.0.0.1',
    localPort: 25,
  })
  const controller = new AbortController()
  const host = {
    connection,
    transaction: withTransaction ? new Transaction(connection.id) : undefined,
    signal: controller.signal,
    replies: [] as string[],
    delay: 0,
    async respond(code: number, message: string | readonly string[]) {
      host.replies.push(`${code} ${[message].flat().join('|')}`)
    },
    delayReplies(ms: number) {
      host.delay = ms
    },
  }
  return host
}

export function dispatcherWith(
  plugins: { name: string; hooks: PluginHooks; args?: string[]; timeout?: number; onError?: 'continue' }[],
) {
  const { log, entries } = captureLogger()
  const d = new HookDispatcher({ log })
  for (const p of plugins) {
    d.register(
      {
        info: { name: p.name, instance: p.name, args: new PluginArgs(p.args ?? []) },
        log: log.child({ plugin: p.name }),
        timeout: p.timeout ?? 1000,
        continueOnError: p.onError === 'continue',
      },
      p.hooks,
    )
  }
  return { d, entries }
}
