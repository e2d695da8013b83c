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

export class InputReader {
  #buf: Buffer = Buffer.alloc(0)
  #eof = false
  #waiter: (() => void) | undefined
  #paused = false
  /** Set while skipping the rest of an over-long line. */
  #discarding = false

  constructor(private readonly flow: FlowControl) {}

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk
    if (this.#buf.length > HIGH_WATER && !this.#paused) {
      this.#paused = true
      this.flow.pause()
    }
    this.#wake()
  }

  end(): void {
    this.#eof = true
    this.#wake()
  }

  get ended(): boolean {
    return this.#eof && this.#buf.length === 0
  }

  /** Bytes received and not yet read (a pipelining check looks at this). */
  get buffered(): number {
    return this.#buf.length
  }

  /** The first `n` buffered bytes, without consuming them. */
  peek(n: number): Buffer {
    return this.#buf.subarray(0, n)
  }

  /** Drops everything buffered (after STARTTLS: plaintext sent before the handshake). */
  clear(): void {
    this.#buf = Buffer.alloc(0)
    this.#maybeResume()
  }

  /** Puts bytes back in front (what followed the end of DATA in the same packet). */
  unshift(bytes: Buffer): void {
    if (bytes.length) this.#buf = this.#buf.length ? Buffer.concat([bytes, this.#buf]) : bytes
  }

  /** The next CRLF-terminated line (without CRLF), `too-long` once per over-long line, or `eof`. */
  async readLine(maxLength: number): Promise<LineResult> {
    for (;;) {
      const idx = this.#buf.indexOf('\r\n')
      if (this.#discarding) {
        if (idx >= 0) {
          this.#take(idx + 2)
          this.#discarding = false
          return { kind: 'too-long' }
        }
        // Keep a trailing CR: it may be the first half of the CRLF that ends the line.
        this.#take(this.#buf[this.#buf.length - 1] === 0x0d ? this.#buf.length - 1 : this.#buf.length)
      } else if (idx >= 0) {
        if (idx > maxLength) {
          this.#take(idx + 2)
          return { kind: 'too-long' }
        }
        const line = this.#buf.subarray(0, idx)
        this.#take(idx + 2)
        return { kind: 'line', line }
      } else if (this.#buf.length > maxLength + 1) {
        this.#discarding = true
        continue
      }
      if (this.#eof) return { kind: 'eof' }
      await this.#wait()
    }
  }

  /** Whatever is buffered (waiting for at least one byte), or undefined at EOF. */
  async readChunk(): Promise<Buffer | undefined> {
    while (this.#buf.length === 0) {
      if (this.#eof) return undefined
      await this.#wait()
    }
    const chunk = this.#buf
    this.#buf = Buffer.alloc(0)
    this.#maybeResume()
    return chunk
  }

  /** Up to `max` bytes (at least one), or undefined at EOF. */
  async readUpTo(max: number): Promise<Buffer | undefined> {
    while (this.#buf.length === 0) {
      if (this.#eof) return undefined
      await this.#wait()
    }
    const n = Math.min(max, this.#buf.length)
    const chunk = this.#buf.subarray(0, n)
    this.#take(n)
    return chunk
  }

  #take(n: number): void {
    this.#buf = n >= this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(n)
    this.#maybeResume()
  }

  #maybeResume(): void {
    if (this.#paused && this.#buf.length < HIGH_WATER / 2) {
      this.#paused = false
      this.flow.resume()
    }
  }

  #wait(): Promise<void> {
    // Waiting means the buffer is drained below what we need: let the transport send more.
    if (this.#paused) {
      this.#paused = false
      this.flow.resume()
    }
    return new Promise((resolve) => {
      this.#waiter = resolve
    })
  }

  #wake(): void {
    const w = this.#waiter
    this.#waiter = undefined
    w?.()
  }
}
