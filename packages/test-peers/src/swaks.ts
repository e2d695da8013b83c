/**
 * swaks (Debian `swaks`) as the real SMTP client of end-to-end tests: one run is one SMTP
 * transaction against a server on 127.0.0.1, and its transcript shows every reply (`<-` for
 * success, `<**` for a refusal).
 */
import { spawn } from 'node:child_process'
import { requirePeer } from './process.js'

/** The swaks binary, or undefined outside CI when it is not installed (skip). */
export function swaksBinary(): string | undefined {
  return requirePeer('swaks', 'swaks', '/usr/bin/swaks')
}

export interface SwaksRun {
  /** swaks's exit code: 0 when the message was accepted. */
  readonly code: number
  /** What it wrote to stdout and stderr. */
  readonly output: string
}

/**
 * Runs swaks against 127.0.0.1:`port` with more swaks options (`-f`, `-t`, `--header`, …).
 * Resolves on a refusal too (look at `code` and `output`); rejects only when swaks cannot run.
 */
export function swaks(port: number, args: readonly string[]): Promise<SwaksRun> {
  const bin = swaksBinary()
  if (!bin) return Promise.reject(new Error('swaks is not installed (scripts/peers/install.sh)'))
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-s', '127.0.0.1', '-p', String(port), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const collect = (b: Buffer) => {
      output += b.toString()
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.once('error', reject)
    child.once('close', (code) => resolve({ code: code ?? -1, output }))
  })
}
