/**
 * Starting and stopping a peer process for a test: an ephemeral loopback port, state in a temp
 * dir, a readiness check instead of sleeps, SIGTERM then SIGKILL on stop. A missing program is
 * a failure when CI=true and a skip reason otherwise.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

export const inCI = process.env.CI === 'true' || process.env.CI === '1'

/** The first of `candidates` that is an executable file, or undefined. */
export function findBinary(...candidates: string[]): string | undefined {
  for (const c of candidates) {
    const paths = c.includes('/') ? [c] : (process.env.PATH ?? '').split(':').map((d) => path.join(d, c))
    for (const p of paths) {
      try {
        accessSync(p, constants.X_OK)
        return p
      } catch {}
    }
  }
  return undefined
}

/**
 * Finds a peer program. In CI a missing peer throws (the test fails); elsewhere it returns
 * undefined so the caller can skip with a reason.
 */
export function requirePeer(name: string, ...candidates: string[]): string | undefined {
  const found = findBinary(...(candidates.length ? candidates : [name]))
  if (!found && inCI)
    throw new Error(`test peer ${name} is not installed (scripts/peers/install.sh installs it)`)
  return found
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `postern-${prefix}-`))
}

/** Resolves once a TCP connect to host:port succeeds. */
export async function waitForTcp(port: number, host = '127.0.0.1', timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host })
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > end) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export interface PeerProcess {
  readonly child: ChildProcess
  readonly dir: string
  /** What the process wrote to stdout and stderr so far (for failure messages). */
  output(): string
  stop(): Promise<void>
}

export interface StartOptions {
  command: string
  args: string[]
  /** State directory; removed on stop. Created if not given. */
  dir?: string
  env?: NodeJS.ProcessEnv
  /** Resolves when the peer is ready to serve. */
  ready: () => Promise<void>
  name: string
}

export async function startProcess(options: StartOptions): Promise<PeerProcess> {
  const dir = options.dir ?? tempDir(options.name)
  const child = spawn(options.command, options.args, {
    cwd: dir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const collect = (b: Buffer) => {
    out = (out + b.toString()).slice(-20000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`${options.name} exited (${code ?? signal}) before it was ready:\n${out}`)),
    )
    child.once('error', (err) => reject(err))
  })
  exited.catch(() => {})
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await gone
      clearTimeout(timer)
    }
    if (!options.dir) rmSync(dir, { recursive: true, force: true })
  }
  try {
    await Promise.race([options.ready(), exited])
  } catch (err) {
    await stop()
    throw err
  }
  return { child, dir, output: () => out, stop }
}
