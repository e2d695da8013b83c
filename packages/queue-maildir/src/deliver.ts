/**
 * One Maildir delivery: write tmp/<unique>, fsync it, link it into new/, fsync new/ (batched).
 * Only when every step succeeded is the mail safe, and only then may the queue say OK.
 */
import { closeSync, fsync, open as openCb, writeSync } from 'node:fs'
import { link, mkdir, open, rename, unlink } from 'node:fs/promises'
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

const ensured = new Set<string>()

export async function ensureMaildir(dir: string): Promise<void> {
  if (ensured.has(dir)) return
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(path.join(dir, sub), { recursive: true, mode: 0o700 })
  ensured.add(dir)
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

/**
 * Writes the message into each Maildir; returns the file name. Throws if any step fails.
 * `sizeHint` (the message's size, if known) picks the write path.
 */
export async function deliver(
  dirs: readonly string[],
  prefix: Buffer,
  message: () => Readable,
  sizeHint?: number,
): Promise<string> {
  const name = uniqueName()
  const first = dirs[0]!
  await ensureMaildir(first)
  const tmp = path.join(first, 'tmp', name)
  if (sizeHint !== undefined && sizeHint <= SMALL) await writeSmall(tmp, prefix, message)
  else await writeStreamed(tmp, prefix, message)
  try {
    const placed: string[] = []
    for (const dir of dirs.slice(1)) {
      await ensureMaildir(dir)
      await link(tmp, path.join(dir, 'new', name))
      placed.push(path.join(dir, 'new'))
    }
    await rename(tmp, path.join(first, 'new', name))
    placed.push(path.join(first, 'new'))
    await Promise.all(placed.map((d) => fsyncDir(d)))
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
  return name
}
