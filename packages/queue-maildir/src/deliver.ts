/**
 * One Maildir delivery: write tmp/<unique>, fsync it, rename it into new/, fsync new/ (batched).
 * Only when every step succeeded is the mail safe, and only then may the queue say OK.
 */
import { closeSync, fsync, open as openCb, writeSync } from 'node:fs'
import { constants, copyFile, link, mkdir, open, rename, unlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { fsyncDir } from './dir-sync.js'

let counter = 0
const host = os.hostname().replace(/\//g, '\\057').replace(/:/g, '\\072')

/** A unique Maildir file name (time, microseconds, pid, counter, host). */
export function uniqueName(): string {
  const now = Date.now()
  const usec = Math.floor((performance.now() % 1) * 1e6)
  return `${Math.floor(now / 1000)}.M${(now % 1000) * 1000 + (usec % 1000)}P${process.pid}Q${++counter}.${host}`
}

/** Maildirs made by this process: mkdir of three folders per message cost three syscalls. */
const ensured = new Set<string>()

export async function ensureMaildir(dir: string): Promise<void> {
  if (ensured.has(dir)) return
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(path.join(dir, sub), { recursive: true, mode: 0o700 })
  ensured.add(dir)
}

/**
 * Runs one step inside a Maildir. A folder removed while we run (ENOENT: an admin cleaned up, a
 * mailbox was deleted and comes back) is made again and the step retried once, instead of
 * failing every delivery to it until a restart because `ensured` remembers it.
 */
async function inMaildir<T>(dir: string, step: () => Promise<T>): Promise<T> {
  await ensureMaildir(dir)
  try {
    return await step()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    ensured.delete(dir)
    await ensureMaildir(dir)
    return step()
  }
}

/**
 * Messages up to this size (the hint) are read into memory and written in one synchronous write:
 * into the page cache that takes microseconds, while each thread-pool round trip (a write per
 * chunk, close) costs a wake-up of a pool thread and, on a busy machine, a context switch.
 * Calls that may wait for the file system's journal (creating the file, rename, fsync) stay on
 * the pool: done in place, open(O_CREAT) blocked the whole process behind other fsyncs.
 * Bigger messages are streamed.
 */
const SMALL = 256 * 1024

const openFd = promisify(openCb)
const fsyncFd = promisify(fsync)

/** Writes the whole buffer (a regular file may take it in more than one write). */
function writeAllSync(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off)
}

/** tmp/<name> with the message, fsynced; on failure nothing is left behind. */
async function writeSmall(tmp: string, prefix: Buffer, message: () => Readable): Promise<void> {
  // Read first: a failing stream leaves no file.
  const parts: Buffer[] = [prefix]
  for await (const chunk of message()) parts.push(chunk as Buffer)
  const data = Buffer.concat(parts)
  const fd = await openFd(tmp, 'wx', 0o600)
  try {
    writeAllSync(fd, data)
    await fsyncFd(fd)
  } catch (err) {
    try {
      closeSync(fd)
    } catch {}
    await unlink(tmp).catch(() => {})
    throw err
  }
  closeSync(fd)
}

async function writeStreamed(tmp: string, prefix: Buffer, message: () => Readable): Promise<void> {
  const fh = await open(tmp, 'wx', 0o600)
  try {
    await fh.write(prefix)
    for await (const chunk of message()) await fh.write(chunk as Buffer)
    await fh.sync()
  } catch (err) {
    await fh.close().catch(() => {})
    await unlink(tmp).catch(() => {})
    throw err
  }
  await fh.close()
}

/** A hard link is not possible there (another file system, or one without links): copy. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK'])

/** `to` as a second name of `from`, or a copy of it, fsynced, when a link cannot be made. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to)
  } catch (err) {
    if (!NO_LINK.has((err as NodeJS.ErrnoException).code ?? '')) throw err
    await copyFile(from, to, constants.COPYFILE_EXCL)
    const fh = await open(to, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  }
}

/**
 * Writes the message into each Maildir; returns the file name. Throws if any step fails.
 * `sizeHint` (the message's size, if known) picks the write path.
 *
 * All or nothing: the file is written once into the first folder's tmp/, then linked (or copied)
 * into every other folder's tmp/; only when each folder has its copy are they renamed into new/.
 * A failure removes whatever was placed, so the 4xx the client gets never leaves a copy behind
 * that its retry would deliver a second time.
 */
export async function deliver(
  dirs: readonly string[],
  prefix: Buffer,
  message: () => Readable,
  sizeHint?: number,
): Promise<string> {
  const name = uniqueName()
  const tmpOf = (dir: string) => path.join(dir, 'tmp', name)
  const newOf = (dir: string) => path.join(dir, 'new', name)
  const first = dirs[0]!
  await inMaildir(first, () =>
    sizeHint !== undefined && sizeHint <= SMALL
      ? writeSmall(tmpOf(first), prefix, message)
      : writeStreamed(tmpOf(first), prefix, message),
  )
  const inTmp = [first]
  const inNew: string[] = []
  try {
    for (const dir of dirs.slice(1)) {
      await inMaildir(dir, () => linkOrCopy(tmpOf(first), tmpOf(dir)))
      inTmp.push(dir)
    }
    // Every folder has its copy: now they appear, the first folder's last (its tmp file is the
    // source of the links above).
    for (const dir of [...dirs.slice(1), first]) {
      await inMaildir(dir, () => rename(tmpOf(dir), newOf(dir)))
      inNew.push(dir)
    }
    await Promise.all(dirs.map((d) => fsyncDir(path.join(d, 'new'))))
  } catch (err) {
    await Promise.all([
      ...inTmp.filter((d) => !inNew.includes(d)).map((d) => unlink(tmpOf(d)).catch(() => {})),
      ...inNew.map((d) => unlink(newOf(d)).catch(() => {})),
    ])
    throw err
  }
  return name
}
