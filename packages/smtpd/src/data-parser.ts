/**
 * DATA framing (RFC 5321 §4.1.1.4, §4.5.2), strict against SMTP smuggling: only CRLF ends a
 * line, and only CRLF "." CRLF ends the message. A bare LF or bare CR anywhere is recorded (the
 * engine refuses the message afterwards, or normalises it to CRLF when configured). A leading
 * dot on a line is removed (dot-stuffing). The parser keeps no line in memory: it emits slices
 * of the input as it goes, so a 10 MB line without CRLF costs nothing but the bytes written.
 */

const CR = 0x0d
const LF = 0x0a
const DOT = 0x2e
const CRLF = Buffer.from('\r\n')

enum State {
  LineStart,
  Dot,
  DotCr,
  Mid,
  Cr,
}

export interface DataParserResult {
  /** True once CRLF.CRLF was seen. */
  done: boolean
  /** Input after the end of data (the next pipelined command); only set when done. */
  rest?: Buffer
}

export class DataParser {
  #state = State.LineStart
  /** In state Cr: the CR is in the current chunk's pending slice (not held from a previous one). */
  #crInSlice = false
  /** Bare LF or bare CR seen. */
  bareLineEnd = false

  constructor(
    private readonly emit: (chunk: Buffer) => void,
    /** Write CRLF for bare CR/LF instead of the bare byte. */
    private readonly normalize = false,
  ) {}

  /** Feeds input; emits the unstuffed message bytes. */
  push(chunk: Buffer): DataParserResult {
    let start = 0 // first byte of the pending output slice
    let i = 0
    /** The next CR / LF at or after the position it was searched from; n when none. */
    let nextCr = -1
    let nextLf = -1
    const n = chunk.length
    const flush = (end: number) => {
      if (end > start) this.emit(chunk.subarray(start, end))
    }
    while (i < n) {
      switch (this.#state) {
        case State.LineStart: {
          if (chunk[i] === DOT) {
            flush(i)
            i++
            start = i // the dot is held back until we know whether it ends the data
            this.#state = State.Dot
          } else this.#state = State.Mid
          break
        }
        case State.Dot: {
          const b = chunk[i]!
          if (b === CR) {
            i++
            start = i
            this.#state = State.DotCr
          } else {
            // A stuffed dot: drop it, keep the rest of the line.
            this.#state = State.Mid
          }
          break
        }
        case State.DotCr: {
          if (chunk[i] === LF) {
            this.#state = State.LineStart
            const rest = chunk.subarray(i + 1)
            return rest.length ? { done: true, rest } : { done: true }
          }
          // ".\r" followed by something else: the dot was stuffing, the CR is bare.
          this.bareLineEnd = true
          this.emit(this.normalize ? CRLF : Buffer.from([CR]))
          start = i
          this.#state = chunk[i] === CR ? State.Cr : State.Mid
          if (this.#state === State.Cr) {
            i++
            start = i
          }
          break
        }
        case State.Mid: {
          // Fast path: jump to the next CR or LF with native searches (memchr), not a loop over
          // bytes. Each position is searched once per chunk (cached while still ahead of i), so
          // a chunk full of bare CRs stays linear.
          if (nextCr < i) {
            nextCr = chunk.indexOf(CR, i)
            if (nextCr < 0) nextCr = n
          }
          if (nextLf < i) {
            nextLf = chunk.indexOf(LF, i)
            if (nextLf < 0) nextLf = n
          }
          const j = Math.min(nextCr, nextLf)
          if (j === n) {
            i = n
            break
          }
          if (chunk[j] === CR) {
            // The CR stays in the pending slice: a CRLF line end is passed through in place,
            // so a chunk of many lines is emitted as one slice, not two per line.
            i = j + 1
            this.#crInSlice = true
            this.#state = State.Cr
          } else {
            // Bare LF: not a line end.
            this.bareLineEnd = true
            if (this.normalize) {
              flush(j)
              this.emit(CRLF)
              start = j + 1
            }
            i = j + 1
          }
          break
        }
        case State.Cr: {
          const inSlice = this.#crInSlice
          this.#crInSlice = false
          if (chunk[i] === LF) {
            // A CR held back from the previous chunk is emitted with its LF.
            if (!inSlice) {
              this.emit(CRLF)
              start = i + 1
            }
            i++
            this.#state = State.LineStart
          } else {
            this.bareLineEnd = true
            if (inSlice) {
              flush(i - 1)
              start = i
            }
            this.emit(this.normalize ? CRLF : Buffer.from([CR]))
            if (chunk[i] === CR) {
              i++
              start = i
            } else this.#state = State.Mid
          }
          break
        }
      }
    }
    // Output held back at a chunk boundary (a CR, or a dot at line start) is emitted with the
    // next chunk, once we know what it is.
    if (this.#state === State.Mid || this.#state === State.LineStart) flush(n)
    else if (this.#state === State.Cr && this.#crInSlice) {
      // The chunk ends in a CR: hold it back until the next byte says what it is.
      flush(n - 1)
      this.#crInSlice = false
    }
    return { done: false }
  }
}
