/**
 * Stream transforms that add a signature while the message streams: one appends at the end
 * (first ending the last line if it was not ended), one inserts before the line that closes a
 * multipart. Neither holds more than one short line in memory: a line longer than any
 * delimiter is passed on at once.
 */
import { Transform, type TransformCallback } from 'node:stream'

const CRLF = Buffer.from('\r\n')

export class AppendTransform extends Transform {
  #last = Buffer.alloc(0)

  constructor(private readonly extra: Buffer) {
    super()
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (chunk.length) this.#last = Buffer.from(chunk.subarray(Math.max(0, chunk.length - 2)))
    done(null, chunk)
  }

  override _flush(done: TransformCallback): void {
    const ended = this.#last.length === 0 || (this.#last.length === 2 && this.#last.equals(CRLF))
    if (!ended) this.push(CRLF)
    done(null, this.extra)
  }
}

/** Longest line that is checked: a delimiter is `--` + at most 70 characters + `--` + blanks. */
const MAX_CHECKED = 200

export class InsertBeforeCloseTransform extends Transform {
  readonly #close: string
  #inHeader: boolean
  #line: Buffer[] = []
  #lineLength = 0
  /** The current line grew past MAX_CHECKED: pass it on, it cannot be a delimiter. */
  #long = false
  #done = false

  constructor(
    boundary: string,
    private readonly extra: Buffer,
    /** True when the stream starts with the header block (the 'message' view). */
    withHeader: boolean,
  ) {
    super()
    this.#close = `--${boundary}--`
    this.#inHeader = withHeader
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.#done) {
      done(null, chunk)
      return
    }
    let start = 0
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      this.#add(chunk.subarray(start, nl + 1))
      this.#endLine()
      start = nl + 1
      if (this.#done) {
        if (start < chunk.length) this.push(chunk.subarray(start))
        done()
        return
      }
    }
    if (start < chunk.length) this.#add(chunk.subarray(start))
    done()
  }

  override _flush(done: TransformCallback): void {
    if (!this.#done && this.#lineLength > 0) this.#endLine()
    done()
  }

  #add(piece: Buffer): void {
    if (this.#long) {
      this.push(piece)
      return
    }
    this.#line.push(piece)
    this.#lineLength += piece.length
    if (this.#lineLength > MAX_CHECKED) {
      this.#long = true
      this.push(Buffer.concat(this.#line))
      this.#line = []
    }
  }

  #endLine(): void {
    if (this.#long) {
      this.#long = false
      this.#lineLength = 0
      return
    }
    const line = Buffer.concat(this.#line)
    this.#line = []
    this.#lineLength = 0
    const text = line.toString('latin1').replace(/\r?\n$/, '')
    if (this.#inHeader) {
      if (text === '') this.#inHeader = false
    } else if (text.replace(/[ \t]+$/, '') === this.#close) {
      this.push(this.extra)
      this.#done = true
    }
    this.push(line)
  }
}
