/**
 * The `postern` command.
 *   postern [--config DIR] [--listen HOST:PORT]… [--workers N]   serve
 *   postern init DIR                                               write an example config
 *   postern plugins --config DIR                                   list plugins in hook order
 *   postern store …                                                manage the store (see `postern store --help`)
 * Arguments are read with node:util's parseArgs: a CLI library cost ~15–30 ms of every start.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { CORE_VERSION, createPluginHost, inspectPlugins, MemoryStore } from '@postern/core'
import { serveAdmissions, workerAdmissions } from './cluster-admission.js'
import { writeExampleConfig } from './init-config.js'
import { createServer, type ListenAddress } from './server.js'
import { importStores, openSiteStore } from './site-store.js'

const USAGE = `usage: postern [options]              serve mail
       postern init DIR               write a working example config (mail for localhost and
                                      example.com into a Maildir under DIR)
       postern plugins [-c DIR]       list the configured plugins in hook order, with their
                                      compatibility
       postern store COMMAND [-c DIR] add, delete, list or clean store entries
                                      (postern store --help)

options:
  -c, --config DIR         config directory (default: config)
  -l, --listen HOST:PORT   listen address, repeatable; "HOST:PORT tls" for implicit TLS
                           (default: config/listen, else 127.0.0.1:2525)
  -w, --workers N          worker processes sharing the listeners (default: 1)
  -h, --help               show this help
`

/** Set in the environment of the processes `--workers N` forks. */
const WORKER_ENV = 'POSTERN_WORKER'

/** A mistake on the command line: reported with the usage, exit code 2. */
class UsageError extends Error {}

const CONFIG = { type: 'string', short: 'c', default: 'config' } as const
const HELP = { type: 'boolean', short: 'h' } as const

/** parseArgs, with its errors turned into usage errors. */
function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const [first, ...rest] = argv
  if (first === 'init') return initCommand(rest)
  if (first === 'plugins') return pluginsCommand(rest)
  if (first === 'store') return storeCommand(rest)
  const { values } = parse({
    args: [...argv],
    options: {
      config: CONFIG,
      listen: { type: 'string', short: 'l', multiple: true, default: [] },
      workers: { type: 'string', short: 'w', default: '1' },
      help: HELP,
    },
  })
  if (values.help) return void process.stdout.write(USAGE)
  const workers = Number(values.workers)
  if (!Number.isInteger(workers) || workers < 1)
    throw new UsageError(`--workers wants a whole number of at least 1, not "${values.workers}"`)
  // node:cluster is loaded only for --workers: it costs several ms of every start.
  if (workers > 1 && !process.env[WORKER_ENV]) return primary(workers)
  await serve(values.config, values.listen)
}

function initCommand(args: string[]): void {
  const { values, positionals } = parse({ args, options: { help: HELP }, allowPositionals: true })
  if (values.help) return void process.stdout.write(USAGE)
  if (positionals.length !== 1) throw new UsageError('init wants one directory: postern init DIR')
  const configDir = writeExampleConfig(positionals[0]!)
  console.log(`wrote ${configDir}\nstart it with: postern --config ${configDir}`)
}

async function pluginsCommand(args: string[]): Promise<void> {
  const { values } = parse({ args, options: { config: CONFIG, help: HELP } })
  if (values.help) return void process.stdout.write(USAGE)
  const config = values.config
  if (!existsSync(config)) throw new Error(`config directory ${path.resolve(config)} not found`)
  const found = await inspectPlugins({ configDir: config })
  console.log(`@postern/core ${CORE_VERSION}`)
  const rows = [['plugin', 'package', 'version', 'core range', 'compatible', 'hooks']]
  // Hooks are only known after setup: set up the compatible ones (only) to list theirs.
  let hooksOf = new Map<string, string[]>()
  const compatible = found.filter((f) => f.compatible).map((f) => f.plugin.line)
  if (compatible.length) {
    const pluginLines = compatible.map((l) => [l.instance, ...l.args].join(' '))
    const host = await createPluginHost({ configDir: config, pluginLines })
    hooksOf = new Map(host.plugins.map((p) => [p.instance, [...p.hooks]]))
    await host.close()
  }
  for (const f of found) {
    const p = f.plugin
    rows.push([
      p.line.instance,
      p.module?.packageName ?? '(local)',
      p.module?.packageVersion ?? '-',
      p.definition.core,
      f.compatible ? 'yes' : `no: ${f.problems.join('; ')}`,
      (hooksOf.get(p.line.instance) ?? []).join(','),
    ])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  for (const r of rows)
    console.log(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
  if (!found.every((f) => f.compatible)) process.exitCode = 1
}

/**
 * `postern store …`: everything but the config option is the store command's own (it has its
 * own options and usage), so `-c DIR` / `--config DIR` / `--config=DIR` is taken out here.
 */
async function storeCommand(args: string[]): Promise<void> {
  let config = 'config'
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === '-c' || a === '--config') {
      const value = args[++i]
      if (value === undefined) throw new UsageError(`${a} wants a directory`)
      config = value
    } else if (a.startsWith('--config=')) config = a.slice('--config='.length)
    else rest.push(a)
  }
  type Stores = { runStoreCommand(argv: string[], io: object): Promise<number> }
  let stores: Stores
  try {
    stores = await importStores<Stores>(config)
  } catch {
    console.error('postern store needs the @postern/stores package (npm install @postern/stores)')
    process.exitCode = 2
    return
  }
  // The same store the server uses: config/store, relative paths from the config dir.
  const store = await openSiteStore(config)
  if (!store && !wantsUsage(rest)) {
    // The default in-memory store would keep nothing once this command exits.
    console.error(
      `postern store: no persistent store (${path.resolve(config, 'store')} is missing or says memory), ` +
        'and a memory store forgets everything when this command exits. Set config/store to ' +
        'sqlite:PATH or redis://… (the store the server uses).',
    )
    process.exitCode = 2
    return
  }
  try {
    process.exitCode = await stores.runStoreCommand(rest, {
      store: store ?? new MemoryStore(),
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    })
  } finally {
    await store?.close()
  }
}

/** `postern store`, `postern store --help`: only the usage is wanted, no store. */
function wantsUsage(args: readonly string[]): boolean {
  return !args.some((a) => !a.startsWith('-')) || args.includes('--help') || args.includes('-h')
}

function describe(addresses: readonly ListenAddress[]): string {
  return addresses
    .map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${a.tls ? ' (tls)' : ''}`)
    .join(', ')
}

async function serve(config: string, listen: string[]): Promise<void> {
  if (!existsSync(config))
    throw new Error(`config directory ${path.resolve(config)} not found (postern init DIR writes one)`)
  // A worker counts connections with the primary, so the limits hold for the whole server.
  const admissions = process.env[WORKER_ENV]
    ? workerAdmissions(process, (message) => server.host.log.warn(message))
    : undefined
  const server = createServer({ config, ...(listen.length ? { listen } : {}), admissions })
  const addresses = await server.listen()
  if (process.env[WORKER_ENV]) process.send?.({ type: 'ready', addresses })
  else console.log(`postern ${CORE_VERSION} listening on ${describe(addresses)}`)
  let stopping = false
  process.on('SIGTERM', () => {
    if (stopping) return
    stopping = true
    void server.close().then(() => process.exit(0))
  })
  process.on('SIGINT', () => process.emit('SIGTERM'))
  process.on('SIGHUP', () => {
    server.reload().then(
      () => server.host.log.notice('config and plugins reloaded'),
      (err: Error) => server.host.log.error(`reload failed, keeping the running config: ${err.message}`),
    )
  })
}

/** The primary of `--workers N`: forks workers that share the listeners, relays signals. */
async function primary(n: number): Promise<void> {
  const { default: cluster } = await import('node:cluster')
  serveAdmissions(cluster)
  let ready = 0
  const workers = Array.from({ length: n }, () => cluster.fork({ [WORKER_ENV]: '1' }))
  for (const w of workers) {
    w.on('message', (m: { type?: string; addresses?: ListenAddress[] }) => {
      if (m.type === 'ready' && ++ready === n)
        console.log(`postern ${CORE_VERSION} listening on ${describe(m.addresses ?? [])} (${n} workers)`)
    })
  }
  let stopping = false
  cluster.on('exit', (worker, code) => {
    if (!stopping) {
      console.error(`worker ${worker.process.pid} exited (${code}); stopping`)
      process.emit('SIGTERM')
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1)
  })
  process.on('SIGTERM', () => {
    stopping = true
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
  })
  process.on('SIGINT', () => process.emit('SIGTERM'))
  process.on('SIGHUP', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP')
  })
}

main(process.argv.slice(2)).catch((err: Error) => {
  if (err instanceof UsageError) {
    process.stderr.write(`postern: ${err.message}\n\n${USAGE}`)
    process.exit(2)
  }
  console.error(`postern: ${err.message}`)
  process.exit(1)
})
