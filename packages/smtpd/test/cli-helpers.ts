import { execFile } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { cliPath, type Running, repoRoot, tempDir } from '@postern/test-peers'
import { afterEach } from 'vitest'

export const run = promisify(execFile)

export interface Failed {
  code: number
  stdout: string
  stderr: string
}

/** Runs the postern CLI from the repo root; resolves with its output whatever the exit code. */
export function postern(args: string[]): Promise<Failed> {
  return run(process.execPath, [cliPath, ...args], { cwd: repoRoot }).then(
    (r) => ({ code: 0, ...r }),
    (e: Failed) => e,
  )
}

/**
 * Temp dirs and CLI processes for one test file, cleaned after each test: `site()` makes a
 * dir, `procs` takes started servers (killed if still running).
 */
export function useSites(): { site(): string; procs: Running[] } {
  const dirs: string[] = []
  const procs: Running[] = []
  afterEach(() => {
    for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL')
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  return {
    procs,
    site() {
      const d = tempDir('cli')
      dirs.push(d)
      return d
    },
  }
}

/** A config dir under `dir` with a local accept-all plugin and queue/maildir. */
export function localConfig(dir: string, extra: Record<string, string> = {}): string {
  const cfg = path.join(dir, 'config')
  const files: Record<string, string> = {
    'accept.mjs':
      "export default { name: 'accept_all', core: '^1.0.0', hooks: { rcpt: () => ({ code: 900 }) } }\n",
    plugins: `./accept.mjs\nqueue/maildir ${path.join(dir, 'Maildir')}\n`,
    me: 'cli.test.example\n',
    spool_dir: `${path.join(dir, 'spool')}\n`,
    ...extra,
  }
  for (const [k, v] of Object.entries(files)) {
    const f = path.join(cfg, k)
    mkdirSync(path.dirname(f), { recursive: true })
    writeFileSync(f, v)
  }
  return cfg
}

/** The ports of the "listening on" line. */
export function listeningPorts(output: string): number[] {
  const line = /listening on ([^\n]*)/.exec(output)?.[1] ?? ''
  return [...line.matchAll(/:(\d+)/g)].map((m) => Number(m[1]))
}
