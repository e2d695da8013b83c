/**
 * Dispatch microbenchmark (not a test): 20 plugins whose rcpt hook returns DECLINED, run
 * through the real dispatcher; prints nanoseconds per hook call. Run: `pnpm bench:dispatch`.
 */
import {
  Address,
  Connection,
  createLogger,
  HookDispatcher,
  PluginArgs,
  type SessionHost,
  Transaction,
} from '../src/index.js'

const PLUGINS = 20
const ROUNDS = Number(process.env.ROUNDS ?? 200_000)

function dispatcher(kind: 'sync' | 'async'): HookDispatcher {
  const log = createLogger({ level: 0, sink: () => {} })
  const d = new HookDispatcher({ log })
  for (let i = 0; i < PLUGINS; i++) {
    const name = `plugin_${i}`
    d.register(
      {
        info: { name, instance: name, args: new PluginArgs([]) },
        log,
        timeout: 30_000,
        continueOnError: false,
      },
      kind === 'sync' ? { rcpt: () => undefined } : { rcpt: async () => undefined },
    )
  }
  return d
}

const connection = new Connection({
  remoteIp: '192.0.2.1',
  remotePort: 1,
  localIp: '127.0.0.1',
  localPort: 25,
})
const host: SessionHost = {
  connection,
  transaction: new Transaction(connection.id),
  signal: new AbortController().signal,
  respond: async () => {},
  delayReplies: () => {},
}
const rcpt = Address.parse('<user@example.com>')
const params = new Map<string, string>()

async function measure(kind: 'sync' | 'async'): Promise<number> {
  const d = dispatcher(kind)
  for (let i = 0; i < 20_000; i++) await d.runFirst('rcpt', host, rcpt, params) // warm up
  const start = process.hrtime.bigint()
  for (let i = 0; i < ROUNDS; i++) await d.runFirst('rcpt', host, rcpt, params)
  const ns = Number(process.hrtime.bigint() - start)
  return ns / ROUNDS / PLUGINS
}

const sync = await measure('sync')
const asyncNs = await measure('async')
console.log(`node ${process.version}, ${PLUGINS} plugins × ${ROUNDS} rcpt dispatches, every plugin DECLINED`)
console.log(
  `plain hooks:  ${sync.toFixed(0)} ns per hook call (${((sync * PLUGINS) / 1000).toFixed(2)} µs per RCPT)`,
)
console.log(
  `async hooks:  ${asyncNs.toFixed(0)} ns per hook call (${((asyncNs * PLUGINS) / 1000).toFixed(2)} µs per RCPT)`,
)
