/**
 * The spool directory: made mode 0700, checked before use when it is the shared default under
 * $TMPDIR, and swept at start of the files a crashed process left. Spool file names carry a
 * prefix and the writer's pid, so only our own orphans are ever removed.
 */
import { lstatSync, mkdirSync } from 'node:fs'
import { readdir, stat, unlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

/** Every spool file name starts with this, then `<pid>.`. */
export const SPOOL_PREFIX = 'postern-spool.'

/**
 * The spool dir when `config/spool_dir` names none: one per user under $TMPDIR (as tmux does),
 * so servers run by different users never share one, and checked before use because $TMPDIR is
 * writable by everyone.
 */
export function defaultSpoolDir(): string {
  const uid = process.getuid?.()
  return path.join(os.tmpdir(), uid === undefined ? 'postern-spool' : `postern-spool-${uid}`)
}

/**
 * Makes the spool dir (mode 0700). The default one lives in a world-writable directory, where
 * another user may have made it first (or put a symlink there) to read or swap our messages:
 * it must be a real directory owned by us that nobody else can write to.
 */
export function ensureSpoolDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (path.resolve(dir) !== defaultSpoolDir()) return
  const st = lstatSync(dir)
  const why = st.isSymbolicLink()
    ? 'is a symbolic link'
    : !st.isDirectory()
      ? 'is not a directory'
      : process.getuid && st.uid !== process.getuid()
        ? `is owned by uid ${st.uid}, not by this process (uid ${process.getuid()})`
        : st.mode & 0o022
          ? `is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`
          : undefined
  if (why)
    throw new Error(`spool directory ${dir} ${why}; remove it, or name a private one in config/spool_dir`)
}

/** The pid in a spool file name, or undefined when the name is not one of ours. */
function writerPid(name: string): number | undefined {
  if (!name.startsWith(SPOOL_PREFIX)) return undefined
  const pid = Number(name.slice(SPOOL_PREFIX.length).split('.')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** Whether a process with this pid runs (EPERM: it does, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes spool files left by a process that crashed: our prefix, last written before this
 * process started, and their writer is gone (other workers of a `--workers` group, or another
 * server sharing the dir, keep theirs). Returns the number removed.
 */
export async function sweepSpoolDir(dir: string): Promise<number> {
  const started = Date.now() - process.uptime() * 1000
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw err
  }
  let removed = 0
  for (const name of names) {
    const pid = writerPid(name)
    if (pid === undefined || (pid !== process.pid && running(pid))) continue
    const file = path.join(dir, name)
    try {
      if ((await stat(file)).mtimeMs >= started) continue
      await unlink(file)
      removed++
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  return removed
}
