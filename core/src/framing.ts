/**
 * The framings plugins need to pass a message on: SMTP DATA (line ends made CRLF, then
 * dot-stuffed, in that order so no bare LF can turn into an end of data downstream) and clamd's
 * INSTREAM (4-byte big-endian length before each chunk, a zero length at the end).
 * Both are streaming transforms: nothing is held but a byte or two across chunk boundaries.
 */
import { Transform, type TransformCallback } from 'node:stream'

const CR = 0x0d
const LF = 0x0a
const DOT = 0x2e

/**
 * SMTP DATA framing for a message: bare CR and bare LF become CRLF, a line starting with "."
 * gets another ".", and the output ends with CRLF (the terminating "." line is not added).
 */
export function dotStuff(): Transform {
  let atLineStart = true
  let pendingCr = false
  let any = false
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      let start = 0
      const pieces: Buffer[] = []
      const flush = (end: number) => {
        if (end > start) pieces.push(chunk.subarray(start, end))
      }
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]!
        any = true
        if (pendingCr) {
          pendingCr = false
          // CR was held back: it becomes CRLF whatever follows; a following LF is part of it.
          pieces.push(Buffer.from('\r\n'))
          atLineStart = true
          if (b === LF) {
            start = i + 1
            continue
          }
          start = i
        }
        if (b === CR) {
          flush(i)
          pendingCr = true
          start = i + 1
          continue
        }
        if (b === LF) {
          flush(i)
          pieces.push(Buffer.from('\r\n'))
          start = i + 1
          atLineStart = true
          continue
        }
        if (atLineStart && b === DOT) {
          flush(i)
          pieces.push(Buffer.from('.'))
          start = i
        }
        atLineStart = false
      }
      flush(chunk.length)
      done(null, Buffer.concat(pieces))
    },
    flush(done: TransformCallback) {
      if (pendingCr) done(null, Buffer.from('\r\n'))
      else if (any && !atLineStart) done(null, Buffer.from('\r\n'))
      else done()
    },
  })
}

/** clamd INSTREAM framing: each chunk prefixed with its length (uint32 BE), then four zero bytes. */
export function clamdInstream(maxChunk = 64 * 1024): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      for (let off = 0; off < chunk.length; off += maxChunk) {
        const part = chunk.subarray(off, off + maxChunk)
        const len = Buffer.alloc(4)
        len.writeUInt32BE(part.length)
        this.push(len)
        this.push(part)
      }
      done()
    },
    flush(done: TransformCallback) {
      done(null, Buffer.alloc(4))
    },
  })
}
