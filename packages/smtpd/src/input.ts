/**
 * The session's input, read by pulling: `readLine()` for commands, `readChunk()` for DATA,
 * `readExact()` for BDAT. Only CRLF ends a line. Memory is bounded: a line longer than the limit
 * is discarded up to its CRLF, and the transport is paused while too much input is waiting.
 */

export type LineResult = { kind: 'line'; line: Buffer } | { kind: 'too-long' } | { kind: 'eof' }

export interface FlowControl {
  pause(): void
  resume(): void
}

const HIGH_WATER = 256 * 1024
const EMPTY = Buffer.alloc(0)
const CRLF = Buffer.from('\r\n')
const EOF: LineResult = Object.freeze({ kind: 'eof' })
/** What a read with a deadline returns when the deadline passed first. */
export const TIMEOUT = Symbol('timeout')
const noop = () => {}

export class InputReader {
  /**
   * Received and not yet read, oldest first. Chunks are joined only when a line spans them, so
   * DATA passes through without copying (a copy per packet was most of a big message's garbage).
   */
  #chunks: Buffer[] = []
  #size = 0
  #eof = false
  #waiter: (() => void) | undefined
  #paused = false
  /** Set while skipping the rest of an over-long line. */
  #discarding = false
  /** Called at the end (a session waiting for its client to read replies). */
  #endWaiter: (() => void) | undefined

  constructor(private readonly flow: FlowControl) {}

  push(chunk: Buffer): void {
    if (chunk.length) {
      this.#chunks.push(chunk)
      this.#size += chunk.length
    }
    if (this.#size > HIGH_WATER && !this.#paused) {
      this.#paused = true
      this.flow.pause()
    }
    this.#wake()
  }

  end(): void {
    this.#eof = true
    this.#wake()
    const w = this.#endWaiter
    this.#endWaiter = undefined
    w?.()
  }

  /**
   * Calls `then` when the input ends (the client closed, or the session was told to stop), at
   * once if it has; returns a function that cancels the call. One caller at a time.
   */
  onEnd(then: () => void): () => void {
    if (this.#eof) {
      then()
      return noop
    }
    this.#endWaiter = then
    return () => {
      if (this.#endWaiter === then) this.#endWaiter = undefined
    }
  }

  get ended(): boolean {
    return this.#eof && this.#size === 0
  }

  /** Bytes received and not yet read (a pipelining check looks at this). */
  get buffered(): number {
    return this.#size
  }

  /** Everything buffered as one Buffer (joined once, kept joined). */
  #head(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#size)]
    return this.#chunks[0] ?? EMPTY
  }

  /** The first `n` buffered bytes, without consuming them. */
  peek(n: number): Buffer {
    return this.#head().subarray(0, n)
  }

  /** Drops everything buffered (after STARTTLS: plaintext sent before the handshake). */
  clear(): void {
    this.#chunks = []
    this.#size = 0
    this.#maybeResume()
  }

  /** Puts bytes back in front (what followed the end of DATA in the same packet). */
  unshift(bytes: Buffer): void {
    if (!bytes.length) return
    this.#chunks.unshift(bytes)
    this.#size += bytes.length
  }

  /**
   * The next CRLF-terminated line (without CRLF), `too-long` once per over-long line, `eof`, or
   * TIMEOUT when no line is complete within `timeoutMs`.
   */
  readLine(maxLength: number, timeoutMs: number): Promise<LineResult | typeof TIMEOUT> {
    // One promise, one timer and two callbacks per wait, not an async function: an idle session
    // waits here, and every promise, closure or suspended frame is memory held per connection.
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.#waiter === attempt) this.#waiter = undefined
        resolve(TIMEOUT)
      }, timeoutMs)
      const attempt = () => {
        const r = this.tryReadLine(maxLength) ?? (this.#eof ? EOF : undefined)
        if (!r) return this.#waitThen(attempt)
        clearTimeout(timer)
        resolve(r)
      }
      attempt()
    })
  }

  /**
   * `readLine` without waiting: the result when the buffered bytes decide it, else undefined
   * (more input is needed). Lets the session skip a timer and a promise for pipelined lines.
   */
  tryReadLine(maxLength: number): LineResult | undefined {
    for (;;) {
      const buf = this.#head()
      const idx = buf.indexOf(CRLF)
      if (this.#discarding) {
        if (idx >= 0) {
          this.#take(idx + 2)
          this.#discarding = false
          return { kind: 'too-long' }
        }
        // Keep a trailing CR: it may be the first half of the CRLF that ends the line.
        this.#take(buf[buf.length - 1] === 0x0d ? buf.length - 1 : buf.length)
      } else if (idx >= 0) {
        if (idx > maxLength) {
          this.#take(idx + 2)
          return { kind: 'too-long' }
        }
        const line = buf.subarray(0, idx)
        this.#take(idx + 2)
        return { kind: 'line', line }
      } else if (buf.length > maxLength + 1) {
        this.#discarding = true
        continue
      }
      return undefined
    }
  }

  /** The oldest buffered chunk (waiting for at least one byte), or undefined at EOF. */
  async readChunk(): Promise<Buffer | undefined> {
    while (this.#size === 0) {
      if (this.#eof) return undefined
      await this.#wait()
    }
    const chunk = this.#chunks.shift()!
    this.#size -= chunk.length
    this.#maybeResume()
    return chunk
  }

  /** Up to `max` bytes (at least one), or undefined at EOF. */
  async readUpTo(max: number): Promise<Buffer | undefined> {
    while (this.#size === 0) {
      if (this.#eof) return undefined
      await this.#wait()
    }
    const head = this.#chunks[0]!
    const n = Math.min(max, head.length)
    const chunk = head.subarray(0, n)
    this.#take(n)
    return chunk
  }

  /** Consumes `n` bytes of the first chunk (at most its length). */
  #take(n: number): void {
    const head = this.#chunks[0]
    if (!head) return
    if (n >= head.length) this.#chunks.shift()
    else this.#chunks[0] = head.subarray(n)
    this.#size -= Math.min(n, head.length)
    this.#maybeResume()
  }

  #maybeResume(): void {
    if (this.#paused && this.#size < HIGH_WATER / 2) {
      this.#paused = false
      this.flow.resume()
    }
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => this.#waitThen(resolve))
  }

  /** Calls `then` once more input (or the end) arrives. */
  #waitThen(then: () => void): void {
    // Waiting means the buffer is drained below what we need: let the transport send more.
    if (this.#paused) {
      this.#paused = false
      this.flow.resume()
    }
    this.#waiter = then
  }

  #wake(): void {
    const w = this.#waiter
    this.#waiter = undefined
    w?.()
  }
}
