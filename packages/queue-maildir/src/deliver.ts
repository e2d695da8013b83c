/**
 * One Maildir delivery: write tmp/<unique>, fsync it, link it into new/, fsync new/ (batched).
 * Only when every step succeeded is the mail safe, and only then may the queue say OK.
 */
import { link, mkdir, open, rename, unlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
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

/** Writes the message into each Maildir; returns the file name. Throws if any step fails. */
export async function deliver(
  dirs: readonly string[],
  prefix: Buffer,
  message: () => Readable,
): Promise<string> {
  const name = uniqueName()
  const first = dirs[0]!
  await ensureMaildir(first)
  const tmp = path.join(first, 'tmp', name)
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
  try {
    const placed: string[] = []
    for (const dir of dirs.slice(1)) {
      await ensureMaildir(dir)
      const target = path.join(dir, 'new', name)
      await link(tmp, target)
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
