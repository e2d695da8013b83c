/**
 * The `postern` command.
 *   postern [--config DIR] [--listen HOST:PORT]… [--workers N]   serve
 *   postern init DIR                                               write an example config
 *   postern plugins --config DIR                                   list plugins in hook order
 *   postern store …                                                manage the store (see `postern store --help`)
 */
import cluster from 'node:cluster'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { CORE_VERSION, createPluginHost, inspectPlugins, MemoryStore } from '@postern/core'
import { Command } from 'commander'
import { writeExampleConfig } from './init-config.js'
import { createServer, type ListenAddress } from './server.js'
import { importStores, openSiteStore } from './site-store.js'

const program = new Command('postern')
  .description('Postern SMTP server')
  // Options after a subcommand belong to it (`postern plugins --config DIR`).
  .enablePositionalOptions()
  .option('-c, --config <dir>', 'config directory', 'config')
  .option(
    '-l, --listen <host:port>',
    'listen address (repeatable; "host:port tls" for implicit TLS)',
    collect,
    [],
  )
  .option('-w, --workers <n>', 'worker processes sharing the listeners', '1')
  .action(async (opts: { config: string; listen: string[]; workers: string }) => {
    const workers = Math.max(1, Number(opts.workers) || 1)
    if (workers > 1 && cluster.isPrimary) return primary(workers)
    await serve(opts.config, opts.listen)
  })

program
  .command('init')
  .argument('<dir>', 'directory for config/ and Maildir/')
  .description('write a working example config (mail for localhost and example.com into a Maildir)')
  .action((dir: string) => {
    const configDir = writeExampleConfig(dir)
    console.log(`wrote ${configDir}\nstart it with: postern --config ${configDir}`)
  })

program
  .command('plugins')
  .option('-c, --config <dir>', 'config directory', 'config')
  .description('list the configured plugins in hook order, with their compatibility')
  .action(async (opts: { config: string }) => {
    if (!existsSync(opts.config)) throw new Error(`config directory ${path.resolve(opts.config)} not found`)
    const found = await inspectPlugins({ configDir: opts.config })
    console.log(`@postern/core ${CORE_VERSION}`)
    const rows = [['plugin', 'package', 'version', 'core range', 'compatible', 'hooks']]
    // Hooks are only known after setup; set up the compatible ones quietly to list them.
    let hooksOf = new Map<string, string[]>()
    if (found.every((f) => f.compatible)) {
      const host = await createPluginHost({ configDir: opts.config })
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
  })

program
  .command('store')
  .description('add, delete, list or clean store entries (see @postern/stores)')
  .allowUnknownOption(true)
  .helpOption(false)
  .argument('[args...]')
  .option('-c, --config <dir>', 'config directory', 'config')
  .action(async (args: string[], opts: { config: string }) => {
    type Stores = { runStoreCommand(argv: string[], io: object): Promise<number> }
    let stores: Stores
    try {
      stores = await importStores<Stores>(opts.config)
    } catch {
      console.error('postern store needs the @postern/stores package (npm install @postern/stores)')
      process.exitCode = 2
      return
    }
    // The same store the server uses: config/store, relative paths from the config dir.
    const store = (await openSiteStore(opts.config)) ?? new MemoryStore()
    try {
      process.exitCode = await stores.runStoreCommand(args, {
        store,
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      })
    } finally {
      await store.close()
    }
  })

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function describe(addresses: readonly ListenAddress[]): string {
  return addresses
    .map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${a.tls ? ' (tls)' : ''}`)
    .join(', ')
}

async function serve(config: string, listen: string[]): Promise<void> {
  if (!existsSync(config))
    throw new Error(`config directory ${path.resolve(config)} not found (postern init DIR writes one)`)
  const server = createServer({ config, ...(listen.length ? { listen } : {}) })
  const addresses = await server.listen()
  if (cluster.isWorker) process.send?.({ type: 'ready', addresses })
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
function primary(n: number): void {
  let ready = 0
  const workers = Array.from({ length: n }, () => cluster.fork())
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

program.parseAsync().catch((err: Error) => {
  console.error(`postern: ${err.message}`)
  process.exit(1)
})
