import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { requirePeer } from '@postern/test-peers'

const run = promisify(execFile)
export const swaksPath = requirePeer('swaks')

export interface SwaksResult {
  code: number
  out: string
}

/** Runs swaks; resolves with its exit code and transcript (never rejects on SMTP errors). */
export async function swaks(args: string[]): Promise<SwaksResult> {
  try {
    const { stdout } = await run(swaksPath!, args, { timeout: 30_000 })
    return { code: 0, out: stdout }
  } catch (err) {
    const e = err as { code?: number; stdout?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, out: e.stdout ?? '' }
  }
}
