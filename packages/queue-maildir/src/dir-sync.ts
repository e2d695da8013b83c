/**
 * fsync of a directory, batched: every rename that finished before an fsync starts is made
 * durable by it, so N concurrent deliveries into one folder cost about one directory fsync
 * instead of N (group commit).
 */
import { closeSync, fsync, openSync } from 'node:fs'
import { promisify } from 'node:util'

interface Pending {
  waiters: { resolve: () => void; reject: (e: Error) => void }[]
}

const running = new Map<string, Promise<void>>()
const queued = new Map<string, Pending>()

const fsyncFd = promisify(fsync)

async function syncDir(dir: string): Promise<void> {
  // Opening and closing a directory never waits for the disk: done in place, only the fsync
  // goes to the thread pool (one round trip instead of three).
  const fd = openSync(dir, 'r')
  try {
    await fsyncFd(fd)
  } finally {
    closeSync(fd)
  }
}

/** Resolves once `dir` has been fsynced after this call was made. */
export function fsyncDir(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = queued.get(dir)
    if (!next) {
      next = { waiters: [] }
      queued.set(dir, next)
      const batch = next
      // Wait for the fsync in flight (it may have started before our rename), then run ours.
      const before = running.get(dir) ?? Promise.resolve()
      const mine = before
        .catch(() => {})
        .then(() => {
          queued.delete(dir)
          return syncDir(dir)
        })
      running.set(dir, mine)
      mine.then(
        () => {
          for (const w of batch.waiters) w.resolve()
        },
        (err: Error) => {
          for (const w of batch.waiters) w.reject(err)
        },
      )
      void mine
        .finally(() => {
          if (running.get(dir) === mine) running.delete(dir)
        })
        .catch(() => {})
    }
    next.waiters.push({ resolve, reject })
  })
}
