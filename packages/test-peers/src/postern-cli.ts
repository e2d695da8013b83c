/**
 * Runs the built `postern` CLI (packages/smtpd/dist/cli.js) from the repo root, as an admin
 * would run it, and waits for its "listening on" line.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'

export const repoRoot = path.resolve(import.meta.dirname, '../../..')
export const cliPath = path.join(repoRoot, 'packages/smtpd/dist/cli.js')

export interface Running {
  child: ChildProcess
  port: number
  output(): string
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>
}

/**
 * Starts `postern` (the built CLI) from the repo root and waits for "listening on". `entry` is
 * the script node runs: the CLI itself, or a wrapper such as scripts/start.mjs (`pnpm start`).
 */
export async function startPostern(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  entry: string = cliPath,
): Promise<Running> {
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, sig) => resolve(code ?? sig ?? -1)),
  )
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`postern did not start:\n${out}`)), 20_000)
    const check = () => {
      const m = /listening on [^\n]*?:(\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    }
    child.stdout!.on('data', check)
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`postern exited before listening:\n${out}`))
    })
  })
  return { child, port, output: () => out, exited }
}
