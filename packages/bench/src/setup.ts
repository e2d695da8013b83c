/**
 * What the bench needs before it can run, installed on first use:
 * - Postfix's smtp-source / smtp-sink and dnsmasq from Debian (apt-get, as root; debconf is
 *   preseeded with "No configuration" so no MTA is set up or started);
 * - Haraka from npm into a cache directory outside the workspace, so `pnpm install` stays lean;
 * - a build of the engine and the plugins the bench configs name (turbo, dependencies of this
 *   package only).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const REPO_ROOT = path.resolve(BENCH_DIR, '../..')
export const SMTP_SOURCE = '/usr/sbin/smtp-source'
export const SMTP_SINK = '/usr/sbin/smtp-sink'
export const DNSMASQ = '/usr/sbin/dnsmasq'
/** Pinned so figures stay comparable between runs; the reference figures are for 3.3.4. */
export const HARAKA_VERSION = '3.3.4'

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return path.join(base, 'postern-bench')
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`)
}

/** Installs postfix (for smtp-source/smtp-sink) and dnsmasq-base when missing. */
export function ensureDebianTools(log: (s: string) => void): void {
  const missing: string[] = []
  if (!existsSync(SMTP_SOURCE) || !existsSync(SMTP_SINK)) missing.push('postfix')
  if (!existsSync(DNSMASQ)) missing.push('dnsmasq-base')
  if (!missing.length) return
  if (process.getuid?.() !== 0)
    throw new Error(
      `the bench needs ${missing.join(', ')}: run as root, or apt-get install ${missing.join(' ')}`,
    )
  log(`installing ${missing.join(', ')} from Debian…`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // "No configuration": postfix installs its tools without writing main.cf or starting an MTA.
  const sel = spawnSync('debconf-set-selections', {
    input: 'postfix postfix/main_mailer_type select No configuration\n',
  })
  if (sel.status !== 0) throw new Error('debconf-set-selections failed')
  run('apt-get', ['update'], { env })
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env })
}

/** Haraka's install dir (with node_modules/Haraka), installing it on first use. */
export function ensureHaraka(log: (s: string) => void): string {
  const dir = path.join(cacheDir(), 'haraka')
  const bin = path.join(dir, 'node_modules', 'Haraka', 'bin', 'haraka')
  const pkg = path.join(dir, 'node_modules', 'Haraka', 'package.json')
  if (existsSync(bin) && existsSync(pkg)) {
    const v = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
    if (v === HARAKA_VERSION) return dir
  }
  log(`installing Haraka ${HARAKA_VERSION} into ${dir} (npm, once)…`)
  mkdirSync(dir, { recursive: true })
  if (!existsSync(path.join(dir, 'package.json')))
    writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n')
  run('npm', [
    'install',
    '--prefix',
    dir,
    '--no-audit',
    '--no-fund',
    '--save-exact',
    `Haraka@${HARAKA_VERSION}`,
  ])
  return dir
}

export function harakaBin(dir: string): string {
  return path.join(dir, 'node_modules', 'Haraka', 'bin', 'haraka')
}

/** The postern CLI of the workspace build. */
export const POSTERN_CLI = path.join(REPO_ROOT, 'packages', 'smtpd', 'dist', 'cli.js')

/**
 * The node flags in the `postern` command's `#!/usr/bin/env -S node …` line: npm and pnpm put
 * them in the shims they install, so Postern runs in the bench as an installed `postern` does.
 */
export function posternBinFlags(): string[] {
  const first = readFileSync(POSTERN_CLI, 'utf8').split('\n', 1)[0] ?? ''
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first)
  return m ? m[1]!.split(' ').filter(Boolean) : []
}

/** The workspace packages this package needs at run time (dependencies, transitively). */
function workspaceDeps(): Map<string, string> {
  const found = new Map<string, string>()
  const visit = (dir: string) => {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>
      peerDependencies?: Record<string, string>
    }
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) {
      if (!name.startsWith('@postern/') || found.has(name)) continue
      const link = path.join(dir, 'node_modules', name)
      if (!existsSync(link)) continue
      const real = realpathSync(link)
      if (!real.startsWith(REPO_ROOT) || real.includes(`${path.sep}node_modules${path.sep}`)) continue
      found.set(name, real)
      visit(real)
    }
  }
  visit(BENCH_DIR)
  return found
}

function newest(dir: string): number {
  let t = 0
  if (!existsSync(dir)) return 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

/**
 * Builds the engine and the plugins the bench configs name, each only when its dist/ is older
 * than its src/ (tsup bundles each package on its own, so a package never needs its
 * dependencies rebuilt). pnpm's recursive run orders them; one failing package does not stop
 * the others (the workload that needs it reports the failure).
 */
export function buildWorkspace(log: (s: string) => void): void {
  const stale = [...workspaceDeps()].filter(([, dir]) => {
    const built = newest(path.join(dir, 'dist'))
    return (
      built === 0 ||
      newest(path.join(dir, 'src')) > built ||
      statSync(path.join(dir, 'package.json')).mtimeMs > built
    )
  })
  if (!stale.length) return
  log(`building ${stale.map(([n]) => n).join(', ')}…`)
  const filters = stale.flatMap(([name]) => ['--filter', name])
  const r = spawnSync('pnpm', [...filters, '--no-bail', 'run', 'build'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  })
  if (r.status !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.split('\n').slice(-30).join('\n')
    log(`warning: the build failed for some package (the workloads that need it will say so):\n${tail}`)
  }
  if (!existsSync(POSTERN_CLI)) throw new Error(`${POSTERN_CLI} is missing: the engine did not build`)
}

export interface Machine {
  cpu: string
  cores: number
  memGb: number
  kernel: string
  os: string
  node: string
  haraka: string
  postfix: string
  disk: string
}

function firstLine(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]!
      .trim()
  } catch {
    return 'unknown'
  }
}

export function describeMachine(): Machine {
  const cpus = os.cpus()
  let osName = 'Linux'
  try {
    const rel = readFileSync('/etc/os-release', 'utf8')
    osName = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(rel)?.[1] ?? osName
  } catch {}
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    os: osName,
    node: process.version,
    haraka: HARAKA_VERSION,
    // dpkg's own format syntax, not a template string.
    postfix: firstLine('dpkg-query', ['-W', `-f=${'$'}{Version}`, 'postfix']),
    disk: firstLine('sh', ['-c', `df -T ${os.tmpdir()} | tail -1 | awk '{print $2" ("$1")"}'`]),
  }
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')
}
