/**
 * Outbound message framing (security reference A1): every bare CR and bare LF becomes a line
 * end before the message leaves us, and only then are lines starting with "." dot-stuffed, so no
 * byte sequence in a message can end DATA early at the next hop (SMTP smuggling). The same
 * canonicaliser writes LF line ends for programs that read Unix text (qmail-queue, sendmail).
 *
 * It works chunk by chunk with a little state (a CR waiting for its LF, "at line start"), so a
 * message of any size streams through in constant memory.
 */

const CR = 0x0d
const LF = 0x0a
const DOT = 0x2e

export interface FramingOptions {
  /** Line end to write: CRLF for SMTP/LMTP (default), LF for Unix programs. */
  eol?: '\r\n' | '\n'
  /** Double a "." at the start of a line (SMTP/LMTP DATA). Default true. */
  dotStuff?: boolean
}

export class LineCanonicalizer {
  readonly #eol: Buffer
  readonly #dotStuff: boolean
  #pendingCr = false
  #atLineStart = true
  #empty = true

  constructor(options: FramingOptions = {}) {
    this.#eol = Buffer.from(options.eol ?? '\r\n')
    this.#dotStuff = options.dotStuff ?? true
  }

  /** Canonicalises one chunk; returns the bytes to send (possibly empty). */
  push(chunk: Uint8Array): Buffer {
    if (chunk.length === 0) return Buffer.alloc(0)
    this.#empty = false
    const parts: Uint8Array[] = []
    let runStart = 0
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!
      if (this.#pendingCr) {
        // The CR before this byte was already cut off from the run; end its line now.
        this.#pendingCr = false
        parts.push(this.#eol)
        this.#atLineStart = true
        if (b === LF) {
          runStart = i + 1
          continue
        }
        runStart = i
      }
      if (b === CR || b === LF) {
        if (i > runStart) parts.push(chunk.subarray(runStart, i))
        if (b === CR) this.#pendingCr = true
        else {
          parts.push(this.#eol)
          this.#atLineStart = true
        }
        runStart = i + 1
        continue
      }
      if (this.#atLineStart) {
        this.#atLineStart = false
        if (b === DOT && this.#dotStuff) {
          // Emit the run so far plus one extra dot; the original dot starts the next run.
          if (i > runStart) parts.push(chunk.subarray(runStart, i))
          parts.push(DOT_BUF)
          runStart = i
        }
      }
    }
    // A trailing CR was cut off above (runStart is past it) and waits for the next chunk.
    if (runStart < chunk.length) parts.push(chunk.subarray(runStart))
    return Buffer.concat(parts)
  }

  /**
   * Ends the message: a last line without a line end gets one (a message must end with a line
   * end before the terminating dot). `terminator` adds SMTP's ".\r\n".
   */
  end(terminator = false): Buffer {
    const parts: Buffer[] = []
    if (this.#pendingCr || (!this.#atLineStart && !this.#empty)) parts.push(this.#eol)
    this.#pendingCr = false
    this.#atLineStart = true
    if (terminator) parts.push(Buffer.from('.\r\n'))
    return Buffer.concat(parts)
  }
}

const DOT_BUF = Buffer.from('.')
