/**
 * Where a message's bytes go during DATA. The first `spool_threshold` bytes (64 KiB by default)
 * are a bounded buffer in memory: most mail is smaller and never touches the disk. A message that
 * outgrows it spills to a file in `spool_dir`, written as it arrives, so memory per session
 * stays bounded whatever the size (`spool_threshold 0`: every message goes to a file). The result
 * is a replayable MessageBody.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { unlink } from 'node:fs/promises'
import path from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import type { Header, MessageBody } from '@postern/core'
import { ensureSpoolDir, SPOOL_PREFIX } from './spool-dir.js'
import { whenDrained } from './when-drained.js'

let counter = 0
/** Spool dirs made by this process (mkdir per message cost a syscall and an lstat). */
const madeDirs = new Set<string>()

/** Removes a spool file; one that is already gone is fine (rm({ force }) cost an lstat first). */
async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
const SPOOL_BUFFER = 256 * 1024

export class SpoolWriter {
  #chunks: Buffer[] = []
  #memBytes = 0
  #file: WriteStream | undefined
  #path: string | undefined
  #error: Error | undefined
  /** Bytes stored (after the size limit, nothing more is stored). */
  size = 0

  constructor(
    private readonly dir: string,
    private readonly threshold: number,
    private readonly id: string,
  ) {}

  /** Stores bytes; returns false when the file wants the writer to wait (`drained()`). */
  write(chunk: Buffer): boolean {
    this.size += chunk.length
    if (!this.#file) {
      this.#chunks.push(chunk)
      this.#memBytes += chunk.length
      if (this.#memBytes <= this.threshold) return true
      this.#openFile()
      const pending = this.#chunks
      this.#chunks = []
      let ok = true
      for (const c of pending) ok = this.#file!.write(c)
      return ok
    }
    return this.#file.write(chunk)
  }

  /** The spool file has more queued than its buffer: the reader should wait (`drained()`). */
  get backlogged(): boolean {
    return this.#file?.writableNeedDrain ?? false
  }

  /** Resolves once the spool file has written its queue (at once if nothing is queued). */
  drained(): Promise<void> {
    // A failed write closes the stream without a drain; finish() reports the error.
    return this.#file ? whenDrained(this.#file) : Promise.resolve()
  }

  #openFile(): void {
    if (!madeDirs.has(this.dir)) {
      ensureSpoolDir(this.dir)
      madeDirs.add(this.dir)
    }
    // The pid lets a later start tell a crashed process's orphans from a live one's files.
    this.#path = path.join(this.dir, `${SPOOL_PREFIX}${process.pid}.${Date.now()}.${++counter}.${this.id}`)
    // 256 KiB queued before the reader waits: the socket's own buffer then holds the rest,
    // so a big message costs bounded memory whatever the disk's speed. `wx`: a file (or a
    // symlink) someone put in our place is an error, never followed or overwritten.
    this.#file = createWriteStream(this.#path, { flags: 'wx', mode: 0o600, highWaterMark: SPOOL_BUFFER })
    this.#file.on('error', (err: NodeJS.ErrnoException) => {
      this.#error = err
      // The spool dir went away: make it again for the next message.
      if (err.code === 'ENOENT') madeDirs.delete(this.dir)
    })
  }

  /** Finishes writing and returns the stored message. */
  async finish(
    headerSize: number,
    header: () => Header | undefined,
    headerEncoding: BufferEncoding,
  ): Promise<SpooledMessage> {
    if (this.#file) {
      const f = this.#file
      await new Promise<void>((resolve, reject) => {
        f.end(() => (this.#error ? reject(this.#error) : resolve()))
      })
    }
    return new SpooledMessage(this.size, headerSize, this.#path, this.#chunks, header, headerEncoding)
  }

  /** Drops whatever was stored (refused or aborted transfers). */
  async discard(): Promise<void> {
    this.#chunks = []
    if (this.#file) {
      const f = this.#file
      await new Promise<void>((resolve) => f.end(resolve))
    }
    if (this.#path) await removeFile(this.#path)
  }
}

export class SpooledMessage implements MessageBody {
  constructor(
    readonly size: number,
    readonly headerSize: number,
    readonly path: string | undefined,
    private readonly chunks: readonly Buffer[],
    private readonly header: () => Header | undefined,
    private readonly headerEncoding: BufferEncoding,
  ) {}

  #range(start: number): Readable {
    if (this.path) return createReadStream(this.path, { start, highWaterMark: 64 * 1024 })
    return Readable.from(this.#chunksFrom(start), { objectMode: false })
  }

  /** The in-memory chunks from byte `start` on. */
  #chunksFrom(start: number): Buffer[] {
    const out: Buffer[] = []
    let skip = start
    for (const c of this.chunks) {
      if (skip >= c.length) {
        skip -= c.length
        continue
      }
      out.push(skip ? c.subarray(skip) : c)
      skip = 0
    }
    return out
  }

  stream(part: 'message' | 'body' | 'raw' = 'message'): Readable {
    if (part === 'raw') return this.#range(0)
    if (part === 'body') return this.#range(this.headerSize)
    const header = this.header()
    if (!header) return this.#range(0)
    const head = Buffer.from(header.toString(), this.headerEncoding)
    // In memory: one stream over an array of chunks (cheaper than a PassThrough and a pipe).
    if (!this.path) return Readable.from([head, ...this.#chunksFrom(this.headerSize)], { objectMode: false })
    const out = new PassThrough({ highWaterMark: 64 * 1024 })
    out.write(head)
    const body = this.#range(this.headerSize)
    body.on('error', (err) => out.destroy(err))
    body.pipe(out)
    return out
  }

  /** Removes the spool file (when the transaction ends). */
  async remove(): Promise<void> {
    if (this.path) await removeFile(this.path)
  }
}
