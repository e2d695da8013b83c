/**
 * Server replies (RFC 5321 §4.2): `NNN-text` continuation lines and a last `NNN text` line, with
 * the RFC 2034 enhanced status code split off when its class matches the reply's. The parser is
 * fed raw socket bytes and bounds what a hostile or broken server can make us buffer.
 */
import type { EnhancedCode } from '@postern/core'
import { SmtpClientError } from './errors.js'

export interface Reply {
  /** The three-digit reply code. */
  readonly code: number
  /** The enhanced status code when the server sent one (`5.1.1`). */
  readonly enhanced?: EnhancedCode
  /** The text of each line, without code and enhanced code. */
  readonly lines: readonly string[]
}

/** The reply as one would log it: `550 5.1.1 No such user` (first line). */
export function formatReply(reply: Reply): string {
  return `${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''}${reply.lines[0] ? ` ${reply.lines[0]}` : ''}`
}

export const isPositive = (r: Reply): boolean => r.code >= 200 && r.code < 400
export const isTemporary = (r: Reply): boolean => r.code >= 400 && r.code < 500
export const isPermanent = (r: Reply): boolean => r.code >= 500

/** Longest reply line we accept (RFC 5321 allows 512; servers exceed it, so be generous). */
const MAX_LINE = 8192
/** Most lines in one reply (a long EHLO list is ~20). */
const MAX_LINES = 200

const LINE = /^([2-5]\d\d)([ -]|$)(.*)$/s
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: +|$)/

export class ReplyParser {
  #partial = ''
  #lines: string[] = []
  #code = 0

  /** Bytes not yet consumed as part of a complete reply (STARTTLS checks this is empty). */
  get buffered(): boolean {
    return this.#partial.length > 0 || this.#lines.length > 0
  }

  /** Feeds socket bytes; returns the replies they completed. Throws on a malformed reply. */
  push(chunk: Buffer): Reply[] {
    // latin1 keeps every byte as one char, so a UTF-8 sequence split across chunks survives;
    // each finished line is decoded as UTF-8 below.
    let text = this.#partial + chunk.toString('latin1')
    const out: Reply[] = []
    for (;;) {
      const nl = text.indexOf('\n')
      if (nl < 0) break
      // Tolerate a bare LF from the server: we read replies, we never relay them as data.
      const raw = text.slice(0, nl > 0 && text[nl - 1] === '\r' ? nl - 1 : nl)
      text = text.slice(nl + 1)
      const reply = this.#line(Buffer.from(raw, 'latin1').toString('utf8'))
      if (reply) out.push(reply)
    }
    if (text.length > MAX_LINE) throw new SmtpClientError('protocol', 'reply line too long')
    this.#partial = text
    return out
  }

  #line(line: string): Reply | undefined {
    if (line.length > MAX_LINE) throw new SmtpClientError('protocol', 'reply line too long')
    const m = LINE.exec(line)
    if (!m)
      throw new SmtpClientError('protocol', `malformed reply line: ${JSON.stringify(line.slice(0, 80))}`)
    const code = Number(m[1])
    if (this.#lines.length && code !== this.#code)
      throw new SmtpClientError(
        'protocol',
        `reply code changed within a multi-line reply (${this.#code}, ${code})`,
      )
    this.#code = code
    this.#lines.push(m[3] ?? '')
    if (this.#lines.length > MAX_LINES) throw new SmtpClientError('protocol', 'reply has too many lines')
    if (m[2] === '-') return undefined
    const lines = this.#lines
    this.#lines = []
    return makeReply(code, lines)
  }
}

/** Builds a reply, splitting off the enhanced code when every line carries the same one. */
export function makeReply(code: number, lines: readonly string[]): Reply {
  const first = ENHANCED.exec(lines[0] ?? '')
  if (!first || Number(first[1]) !== Math.floor(code / 100)) return { code, lines: [...lines] }
  const enhanced = `${first[1]}.${Number(first[2])}.${Number(first[3])}` as EnhancedCode
  const stripped = lines.map((l) => {
    const m = ENHANCED.exec(l)
    return m ? l.slice(m[0].length) : l
  })
  return { code, enhanced, lines: stripped }
}
