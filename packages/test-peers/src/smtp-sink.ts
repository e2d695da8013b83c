/**
 * Postfix's smtp-sink (Debian `postfix`) as a real SMTP next hop: an ephemeral loopback port,
 * every message dumped to a file in a temp dir (`-d`), and its options for refusing commands
 * (`-f`/`-r` with `-B`/`-b` replies, `-q`/`-Q` to hang up). As root it must drop privileges
 * (`-u nobody`), so the dump dir belongs to nobody and its parents are traversable.
 * Recipe: ../../../../shared/services/smtp-sink.sh (tried on this machine).
 */
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { userInfo } from 'node:os'
import path from 'node:path'
import { freePort, type PeerProcess, requirePeer, startProcess, tempDir, waitForTcp } from './process.js'

export interface SmtpSinkOptions {
  /** Extra smtp-sink options, e.g. `['-f', 'RCPT', '-B', '550 5.1.1 No such user']`. */
  args?: readonly string[]
}

export interface SmtpSink extends PeerProcess {
  readonly port: number
  /** Where messages are dumped, one file each. */
  readonly dumpDir: string
  /**
   * Every completely dumped transaction: smtp-sink's own header lines (`X-Mail-Args`,
   * `X-Rcpt-Args`, its Received) followed by the message as received, line ends as written by
   * smtp-sink (LF). A transaction still being written, or one smtp-sink is deleting because it
   * never completed, is not included.
   */
  messages(): string[]
  /**
   * Waits until `count` transactions are dumped completely (smtp-sink ends each with an empty
   * line; it may finish writing just after its 250 reached us), then returns them.
   */
  waitForMessages(count: number, timeoutMs?: number): Promise<string[]>
}

/** The smtp-sink binary, or undefined outside CI when it is not installed (skip). */
export function smtpSinkBinary(): string | undefined {
  return requirePeer('smtp-sink', '/usr/sbin/smtp-sink', 'smtp-sink')
}

function files(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...files(p))
    else out.push(p)
  }
  return out.sort()
}

/**
 * The complete dumps in `dir`. smtp-sink opens a dump file at MAIL and unlinks it when the
 * transaction is refused or aborted, so a file listed a moment ago may be gone when read.
 */
function completeDumps(dir: string): string[] {
  const out: string[] = []
  for (const f of files(dir)) {
    let text: string
    try {
      text = readFileSync(f, 'latin1')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    if (text.endsWith('\n\n')) out.push(text)
  }
  return out
}

/** Starts smtp-sink on 127.0.0.1; undefined when it is not installed and we are not in CI. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink | undefined> {
  const bin = smtpSinkBinary()
  if (!bin) return undefined
  const port = await freePort()
  const dir = tempDir('smtp-sink')
  const dumpDir = path.join(dir, 'dump')
  mkdirSync(dumpDir)
  const root = userInfo().uid === 0
  const drop: string[] = []
  if (root) {
    // smtp-sink refuses to run as root; after bind it is nobody and must reach the dump dir.
    const nobody = 65534 // Debian's nobody/nogroup
    chmodSync(dir, 0o755)
    chownSync(dumpDir, nobody, nobody)
    drop.push('-u', 'nobody')
  }
  const proc = await startProcess({
    name: 'smtp-sink',
    command: bin,
    // -d: one file per transaction (template + random suffix); last argument: listen backlog.
    args: [...drop, ...(options.args ?? []), '-d', `${dumpDir}/msg.`, `127.0.0.1:${port}`, '64'],
    dir,
    ready: () => waitForTcp(port),
  })
  return {
    ...proc,
    port,
    dumpDir,
    messages: () => completeDumps(dumpDir),
    async waitForMessages(count, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs
      for (;;) {
        const all = completeDumps(dumpDir)
        if (all.length >= count) return all
        if (Date.now() > end) throw new Error(`smtp-sink dumped ${all.length} of ${count} messages`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    async stop() {
      await proc.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
