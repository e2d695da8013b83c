/**
 * A throwaway redis-server on a loopback port: no persistence (no RDB, no AOF), state in a temp
 * dir. Fault tests stop it mid-run and start it again on the same port, so `stop()` keeps the
 * port and `start()` brings the same server address back; `close()` ends it for good.
 */
import { rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { freePort, type PeerProcess, requirePeer, startProcess, tempDir } from './process.js'

/** The redis-server binary, or undefined outside CI when it is not installed (skip). */
export function redisBinary(): string | undefined {
  return requirePeer('redis-server', 'redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server')
}

/** True once `PING` gets `+PONG` (a TCP accept is not enough: Redis refuses commands while loading). */
export function pingRedis(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host })
    let buf = ''
    const done = (ok: boolean) => {
      s.destroy()
      resolve(ok)
    }
    s.setTimeout(1000, () => done(false))
    s.once('connect', () => s.write('PING\r\n'))
    s.on('data', (b) => {
      buf += b.toString()
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'))
    })
    s.once('error', () => done(false))
  })
}

async function waitForPong(port: number, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await pingRedis(port))) {
    if (Date.now() > end)
      throw new Error(`redis on 127.0.0.1:${port} did not answer PING after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export interface RedisPeer {
  readonly port: number
  /** `redis://127.0.0.1:PORT` */
  readonly url: string
  readonly dir: string
  /** True while the server process runs (false between `stop()` and `start()`). */
  readonly running: boolean
  /** Server output so far, for failure messages. */
  output(): string
  /** Stops the server (SIGTERM), keeping its port and dir for `start()`. */
  stop(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
  /** Freezes the process (SIGSTOP): connections stay open but nothing answers. */
  freeze(): void
  /** Resumes a frozen process (SIGCONT). */
  thaw(): void
  /** Stops it and removes its dir. */
  close(): Promise<void>
}

/** Starts redis-server; undefined when it is not installed and we are not in CI (the caller skips). */
export async function startRedis(): Promise<RedisPeer | undefined> {
  const bin = redisBinary()
  if (!bin) return undefined
  const port = await freePort()
  const dir = tempDir('redis')
  let proc: PeerProcess | undefined
  let log = ''
  const launch = async () => {
    proc = await startProcess({
      name: 'redis-server',
      command: bin,
      // All config on the command line; --save "" and --appendonly no: nothing is written.
      args: [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
      ],
      dir,
      ready: () => waitForPong(port),
    })
  }
  await launch()
  const peer: RedisPeer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get running() {
      return proc !== undefined
    },
    output: () => log + (proc?.output() ?? ''),
    async stop() {
      if (!proc) return
      const p = proc
      proc = undefined
      p.child.kill('SIGCONT') // a frozen process cannot act on SIGTERM
      log += p.output()
      await p.stop()
    },
    async start() {
      if (proc) return
      await launch()
    },
    freeze() {
      proc?.child.kill('SIGSTOP')
    },
    thaw() {
      proc?.child.kill('SIGCONT')
    },
    async close() {
      await peer.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return peer
}
