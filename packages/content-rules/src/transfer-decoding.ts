/**
 * Streaming Content-Transfer-Encoding decoders for the body of an attached message, so that a
 * `message/rfc822` part sent in base64 or quoted-printable (RFC 2046 §5.2.1 forbids it, some
 * clients do it and mail readers still open it) is walked like a plain one. Memory is bounded:
 * only an incomplete base64 quantum or an unfinished quoted-printable line is carried over.
 */
import { PassThrough, Transform, type TransformCallback } from 'node:stream'

/** Longest unfinished quoted-printable line kept before it is decoded as it stands. */
const MAX_PENDING_LINE = 64 * 1024

class Base64Decoder extends Transform {
  private rest = ''

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.rest + chunk.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '')
    const usable = text.length - (text.length % 4)
    this.rest = text.slice(usable)
    if (usable > 0) this.push(Buffer.from(text.slice(0, usable), 'base64'))
    done()
  }

  override _flush(done: TransformCallback): void {
    if (this.rest) this.push(Buffer.from(this.rest, 'base64'))
    done()
  }
}

function decodeQuotedPrintable(text: string): Buffer {
  const decoded = text
    .replace(/[ \t]+(?=\r?\n)/g, '')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
  return Buffer.from(decoded, 'latin1')
}

class QuotedPrintableDecoder extends Transform {
  private rest = ''

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.rest + chunk.toString('latin1')
    let cut = text.lastIndexOf('\n') + 1
    // A line that never ends is decoded in pieces; the last two characters wait, they may be
    // the start of an `=XX` escape or of a soft line break.
    if (cut === 0 && text.length > MAX_PENDING_LINE) cut = text.length - 2
    this.rest = text.slice(cut)
    if (cut > 0) this.push(decodeQuotedPrintable(text.slice(0, cut)))
    done()
  }

  override _flush(done: TransformCallback): void {
    if (this.rest) this.push(decodeQuotedPrintable(this.rest))
    done()
  }
}

/**
 * A decoder for a part's Content-Transfer-Encoding (lower case). Identity encodings, and ones
 * nobody can decode, pass through as they are: a reader that opens such a part sees these bytes.
 */
export function transferDecoder(encoding: string | undefined): Transform {
  if (encoding === 'base64') return new Base64Decoder()
  if (encoding === 'quoted-printable') return new QuotedPrintableDecoder()
  return new PassThrough()
}
