/**
 * Runs the queue program once: its own process group (so the deadline kills whatever it
 * started too), the envelope strings as argv elements or on fd 1 — never through a shell — and
 * the message streamed to fd 0 with backpressure. Resolves with how the program ended.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { Socket } from 'node:net'
import type { Readable, Writable } from 'node:stream'
import { LineCanonicalizer } from '@postern/smtp-client'

export type RunOutcome =
  | { kind: 'exit'; code: number; stderr: string; cutShort: boolean }
  | { kind: 'signal'; signal: string; stderr: string }
  | { kind: 'spawn-failed'; error: string }
  | { kind: 'aborted'; reason: 'timeout' | 'aborted'; stderr: string }

export interface RunOptions {
  program: string
  argv: readonly string[]
  /** Written to fd 1 (qmail-queue's envelope); fd 1 is ignored when undefined. */
  envelope?: Buffer
  message: () => Readable
  eol: '\n' | '\r\n'
  signal: AbortSignal
  killGraceMs: number
}

/** Stderr kept for the log (the rest is read and dropped so the program never blocks on it). */
const STDERR_MAX = 4096

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    // Negative pid: the whole process group we created with `detached`.
    process.kill(-child.pid, signal)
  } catch {
    // Already gone.
  }
}

async function feed(
  stdin: Writable,
  message: Readable,
  eol: '\n' | '\r\n',
  signal: AbortSignal,
): Promise<boolean> {
  const framing = new LineCanonicalizer({ eol, dotStuff: false })
  try {
    for await (const chunk of message) {
      if (signal.aborted || stdin.destroyed) return false
      const out = framing.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
      if (out.length && !stdin.write(out)) await once(stdin, 'drain', { signal })
    }
    stdin.end(framing.end(false))
    return true
  } catch {
    // EPIPE (the program stopped reading) or abort: the exit status decides.
    return false
  } finally {
    message.destroy()
  }
}

export async function runProgram(options: RunOptions): Promise<RunOutcome> {
  let child: ChildProcess
  try {
    child = spawn(options.program, [...options.argv], {
      stdio: ['pipe', options.envelope ? 'pipe' : 'ignore', 'pipe'],
      detached: true,
      shell: false,
    })
  } catch (err) {
    return { kind: 'spawn-failed', error: (err as Error).message }
  }
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => {
    if (stderr.length < STDERR_MAX) stderr += b.toString('utf8').slice(0, STDERR_MAX - stderr.length)
  })
  // Pipe errors (EPIPE when the program exits early) are reported through the exit status.
  child.stdin?.on('error', () => {})
  child.stdout?.on('error', () => {})

  const ended = new Promise<RunOutcome>((resolve) => {
    child.once('error', (err) => resolve({ kind: 'spawn-failed', error: err.message }))
    child.once('exit', (code, sig) => {
      if (sig) resolve({ kind: 'signal', signal: sig, stderr })
      else resolve({ kind: 'exit', code: code ?? -1, stderr, cutShort: false })
    })
  })
  const aborted = new Promise<RunOutcome>((resolve) => {
    const onAbort = () => {
      killGroup(child, 'SIGTERM')
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), options.killGraceMs)
      timer.unref()
      child.once('exit', () => clearTimeout(timer))
      const reason: unknown = options.signal.reason
      const name =
        typeof reason === 'object' && reason !== null ? (reason as { name?: unknown }).name : undefined
      resolve({ kind: 'aborted', reason: name === 'TimeoutError' ? 'timeout' : 'aborted', stderr })
    }
    if (options.signal.aborted) onAbort()
    else options.signal.addEventListener('abort', onAbort, { once: true })
    void ended.then(() => options.signal.removeEventListener('abort', onAbort))
  })

  const fd1 = child.stdio[1]
  // Node's stdio pipes are socket pairs, so we can write to the program's fd 1. qmail-queue reads
  // the envelope there after the message; the socket buffers it meanwhile.
  if (options.envelope && fd1 instanceof Socket) fd1.end(options.envelope)
  let complete = false
  if (child.stdin)
    void feed(child.stdin, options.message(), options.eol, options.signal).then((done) => {
      complete = done
    })
  const outcome = await Promise.race([ended, aborted])
  // A program may exit 0 without reading everything (a filter that discards): its status decides.
  if (outcome.kind === 'exit') return { ...outcome, stderr, cutShort: !complete }
  return outcome
}
