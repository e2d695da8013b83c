/**
 * Turns a message stream into one mboxrd entry: a `From ` separator line, the message with LF
 * line ends and every body line matching /^>*From / quoted with one more `>`, and a blank line.
 * mboxrd quoting is reversible, so the archive gives the exact message back.
 */
import { Transform, type TransformCallback } from 'node:stream'

export function separator(sender: string, date: string): string {
  return `From ${sender || 'MAILER-DAEMON'} ${date}\n`
}

export class MboxrdEncoder extends Transform {
  #rest = ''

  constructor(head: string) {
    super()
    this.push(head)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // latin1 maps each byte to one char and back, so 8-bit messages pass through unchanged.
    const text = this.#rest + chunk.toString('latin1')
    const lines = text.split('\n')
    this.#rest = lines.pop() ?? ''
    let out = ''
    for (const line of lines) out += this.#line(line)
    if (out) this.push(Buffer.from(out, 'latin1'))
    done()
  }

  override _flush(done: TransformCallback): void {
    // An entry ends with a blank line so the next `From ` starts a paragraph (RFC 4155).
    const out = `${this.#rest ? this.#line(this.#rest) : ''}\n`
    this.push(Buffer.from(out, 'latin1'))
    done()
  }

  #line(raw: string): string {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    return `${/^>*From /.test(line) ? '>' : ''}${line}\n`
  }
}
