/**
 * Streaming Content-Transfer-Encoding decoders for the body of an attached message, so that a
 * `message/rfc822` part sent in base64 or quoted-printable (RFC 2046 §5.2.1 forbids it, some
 * clients do it and mail readers still open it) is walked like a plain one. The decoding is
 * libbase64's and libqp's (what mailsplit itself uses); memory stays bounded: libbase64's Decoder
 * streams, and libqp's Decoder keeps the whole part until the end, so quoted-printable is fed to
 * libqp's `decode` a run of whole lines at a time instead.
 */

import { PassThrough, Transform, type TransformCallback } from 'node:stream'
import { Decoder as Base64Decoder } from 'libbase64'
import { decode as decodeQuotedPrintable } from 'libqp'

/** Longest unfinished quoted-printable line kept before it is decoded as it stands. */
const MAX_PENDING_LINE = 64 * 1024

class QuotedPrintableDecoder extends Transform {
  private rest = ''

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.rest + chunk.toString('latin1')
    let cut = text.lastIndexOf('\n') + 1
    if (cut === 0 && text.length > MAX_PENDING_LINE) {
      // A line that never ends is decoded in pieces; an `=XX` escape or a soft line break cut
      // in two waits for the rest of it.
      cut = text.length
      const eq = text.lastIndexOf('=')
      if (eq >= cut - 2) cut = eq
    }
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
