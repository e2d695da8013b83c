/**
 * How a signature can be added to a message without breaking it, decided from the top-level
 * Content-Type and Content-Transfer-Encoding:
 * - text/plain in 7bit/8bit/binary: the signature is appended to the body (non-ASCII text only
 *   when the part is UTF-8 and 8-bit);
 * - text/plain in quoted-printable: appended, encoded, when it is ASCII;
 * - multipart/mixed: a text/plain part is inserted before the closing boundary;
 * - anything else (base64 text, multipart/alternative, signed or encrypted mail, HTML only):
 *   left alone, because any change would corrupt it or be invisible.
 */
import type { Header } from '@postern/core'
import libmime from 'libmime'

export type SignaturePlan =
  | { readonly kind: 'append'; readonly bytes: Buffer }
  | { readonly kind: 'insert'; readonly boundary: string; readonly bytes: Buffer }
  | { readonly kind: 'skip'; readonly why: string }

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n')
const isAscii = (text: string) => /^[\x00-\x7f]*$/.test(text)

/** Quoted-printable for an ASCII text: `=` and line-end blanks escaped; lines over 76 refused. */
function quotedPrintable(text: string): string | undefined {
  const lines = text
    .split('\r\n')
    .map((line) => line.replace(/=/g, '=3D').replace(/[ \t]$/, (c) => (c === ' ' ? '=20' : '=09')))
  return lines.every((l) => l.length <= 76) ? lines.join('\r\n') : undefined
}

function base64Lines(bytes: Buffer): string {
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n')
}

export function planSignature(header: Header, signatureText: string): SignaturePlan {
  const signature = crlf(signatureText.replace(/\s+$/, ''))
  if (!signature) return { kind: 'skip', why: 'the signature is empty' }
  const parsed = libmime.parseHeaderValue(header.get('Content-Type') ?? 'text/plain')
  const type = (parsed.value || 'text/plain').toLowerCase()
  const params = parsed.params as Record<string, string | undefined>
  const cte = (header.get('Content-Transfer-Encoding') ?? '7bit').toLowerCase().trim()
  const charset = (params.charset ?? 'us-ascii').toLowerCase()

  if (type === 'text/plain') {
    if (cte === 'quoted-printable') {
      const qp = isAscii(signature) ? quotedPrintable(signature) : undefined
      if (qp === undefined)
        return { kind: 'skip', why: 'a quoted-printable body takes only a short ASCII signature' }
      return { kind: 'append', bytes: Buffer.from(`${qp}\r\n`) }
    }
    if (!['7bit', '8bit', 'binary'].includes(cte))
      return { kind: 'skip', why: `a ${cte} body cannot be appended to` }
    if (!isAscii(signature) && !(['utf-8', 'utf8'].includes(charset) && cte !== '7bit'))
      return { kind: 'skip', why: `a non-ASCII signature needs an 8-bit UTF-8 body, not ${charset} ${cte}` }
    return { kind: 'append', bytes: Buffer.from(`${signature}\r\n`) }
  }

  if (type === 'multipart/mixed') {
    const boundary = params.boundary
    if (!boundary) return { kind: 'skip', why: 'multipart/mixed without a boundary' }
    const bytes = Buffer.from(signature)
    const ascii = isAscii(signature) && signature.split('\r\n').every((l) => l.length <= 998)
    const part =
      `--${boundary}\r\n` +
      `Content-Type: text/plain; charset=${ascii ? 'us-ascii' : 'utf-8'}\r\n` +
      `Content-Transfer-Encoding: ${ascii ? '7bit' : 'base64'}\r\n` +
      'Content-Disposition: inline\r\n\r\n' +
      `${ascii ? signature : base64Lines(bytes)}\r\n`
    return { kind: 'insert', boundary, bytes: Buffer.from(part) }
  }

  return { kind: 'skip', why: `a ${type} message is left as it is` }
}
