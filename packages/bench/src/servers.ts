/**
 * Starting and stopping the servers under test. Each runs as its own process on its own
 * loopback port; "start time" is from spawn() to the first 220 line read from the port.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { harakaInstance, type Kind, posternConfig, type Variant } from './configs.js'
import type { LocalDns } from './dns.js'
import { BENCH_DIR, harakaBin, POSTERN_CLI, posternBinFlags, SMTP_SINK } from './setup.js'
import { cpuMs, procKb, readBanner, sleep } from './util.js'

export const LABEL: Record<Kind, string> = {
  postern: 'Postern',
  haraka: 'Haraka',
  sink: 'smtp-sink',
  floor: 'Node floor',
}

export interface ServerPlan {
  kind: Kind
  variant: Variant
  port: number
  argv: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  /** Maildir to empty between rounds (chain variant). */
  maildir?: string
}

export interface Context {
  root: string
  harakaDir: string
  dns?: LocalDns
  /** Extra node flags for Postern (e.g. --cpu-prof). */
  posternNodeFlags: string[]
}

let nextPort = 0

function port(): number {
  // Below the kernel's ephemeral range (32768+), where the idle workload's 5000 client ports
  // live; a block from the pid so two bench runs do not collide.
  if (!nextPort) nextPort = 20000 + (process.pid % 120) * 100
  return nextPort++
}

export function plan(ctx: Context, kind: Kind, variant: Variant): ServerPlan {
  const p = port()
  if (kind === 'postern') {
    const { configDir, maildir } = posternConfig(ctx.root, variant)
    return {
      kind,
      variant,
      port: p,
      argv: [
        process.execPath,
        ...posternBinFlags(),
        ...ctx.posternNodeFlags,
        POSTERN_CLI,
        '--config',
        configDir,
        '--listen',
        `127.0.0.1:${p}`,
      ],
      // Plugins named in config/plugins are resolved from the node_modules above the working dir.
      cwd: BENCH_DIR,
      env: process.env,
      ...(maildir ? { maildir } : {}),
    }
  }
  if (kind === 'haraka') {
    const { dir, maildir } = harakaInstance(ctx.harakaDir, ctx.root, variant, p)
    const haraka = [process.execPath, harakaBin(ctx.harakaDir), '-c', dir]
    let argv = haraka
    if (variant !== 'base') {
      if (!ctx.dns) throw new Error('the chain needs the local DNS')
      // resolv.conf and hosts are replaced in a private mount namespace for Haraka only.
      argv = [
        'unshare',
        '-m',
        'sh',
        '-c',
        `mount --bind ${ctx.dns.resolvConf} /etc/resolv.conf && mount --bind ${ctx.dns.hosts} /etc/hosts && exec "$@"`,
        'sh',
        ...haraka,
      ]
    }
    return {
      kind,
      variant,
      port: p,
      argv,
      cwd: ctx.harakaDir,
      // queue/discard only says OK with this set (else the client gets 451).
      env: { ...process.env, YES_REALLY_DO_DISCARD: '1' },
      ...(maildir ? { maildir } : {}),
    }
  }
  if (kind === 'floor') {
    const maildir = variant === 'chain' ? path.join(ctx.root, `floor-maildir-${p}`) : undefined
    return {
      kind,
      variant,
      port: p,
      // Node as Postern's bin runs it: the floor is what Postern could be at best.
      argv: [
        process.execPath,
        ...posternBinFlags(),
        path.join(BENCH_DIR, 'src', 'floor-server.mjs'),
        String(p),
        ...(maildir ? [maildir] : []),
      ],
      cwd: ctx.root,
      env: process.env,
      ...(maildir ? { maildir } : {}),
    }
  }
  const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : []
  return {
    kind,
    variant,
    port: p,
    // As root smtp-sink must be told which user to drop to. 1024: listen backlog.
    argv: [SMTP_SINK, ...user, `127.0.0.1:${p}`, '1024'],
    cwd: ctx.root,
    env: process.env,
  }
}

export class RunningServer {
  readonly label: string
  #stderr = ''

  constructor(
    readonly plan: ServerPlan,
    readonly child: ChildProcess,
    /** ms from spawn to the first 220. */
    readonly startMs: number,
  ) {
    this.label = LABEL[plan.kind]
  }

  get pid(): number {
    return this.child.pid!
  }

  rss(): number {
    return procKb(this.pid, 'VmRSS')
  }

  peakRss(): number {
    return procKb(this.pid, 'VmHWM')
  }

  cpuMs(): number {
    return cpuMs(this.pid)
  }

  addStderr(s: string): void {
    this.#stderr = (this.#stderr + s).slice(-4000)
  }

  get stderr(): string {
    return this.#stderr
  }

  /** Forgets what was logged so far (start-up and warm-up noise). */
  clearStderr(): void {
    this.#stderr = ''
  }

  /** Empties the Maildir between rounds (not timed). Files only: the servers keep the dirs. */
  cleanMaildir(): void {
    if (!this.plan.maildir) return
    for (const sub of ['new', 'cur', 'tmp']) {
      const dir = path.join(this.plan.maildir, sub)
      for (const f of safeList(dir)) rmSync(path.join(dir, f), { force: true })
    }
  }

  /** Messages delivered into the Maildir's new/ (a check that the chain accepted them). */
  delivered(): number {
    return this.plan.maildir ? safeList(path.join(this.plan.maildir, 'new')).length : Number.NaN
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const gone = new Promise((r) => this.child.once('exit', r))
    this.child.kill('SIGTERM')
    await Promise.race([gone, sleep(5000)])
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL')
      await gone
    }
  }
}

/** Spawns the server and waits for its first 220 (polling connects every 2 ms). */
function safeList(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

export async function start(p: ServerPlan, timeoutMs = 60_000): Promise<RunningServer> {
  const t0 = performance.now()
  const child = spawn(p.argv[0]!, p.argv.slice(1), {
    cwd: p.cwd,
    env: p.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // Haraka logs to stdout: both streams are kept (the tail only) for error reports.
  let stderr = ''
  const keep = (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000)
    server?.addStderr(d.toString())
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let server: RunningServer | undefined
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `${LABEL[p.kind]} (${p.variant}) exited (${child.exitCode ?? child.signalCode}) before its banner: ${p.argv.join(' ')}\n${stderr.slice(-2000)}`,
      )
    try {
      const line = await readBanner(p.port)
      if (!line.startsWith('220')) throw new Error(`${LABEL[p.kind]} greeted with "${line}"`)
      break
    } catch (err) {
      if ((err as Error).message.includes('greeted')) throw err
      if (performance.now() - t0 > timeoutMs) {
        child.kill('SIGKILL')
        throw new Error(`${LABEL[p.kind]} did not greet within ${timeoutMs} ms:\n${stderr.slice(-2000)}`)
      }
      await sleep(2)
    }
  }
  server = new RunningServer(p, child, performance.now() - t0)
  server.addStderr(stderr)
  return server
}
