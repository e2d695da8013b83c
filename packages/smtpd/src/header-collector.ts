/**
 * Watches the message bytes as they are stored and keeps the header block (up to
 * `max_header_bytes`): it ends at the first empty line. Once complete it is parsed for plugins.
 */
import { isUtf8 } from 'node:buffer'
import { Header } from '@postern/core'

const CRLFCRLF = Buffer.from('\r\n\r\n')

export class HeaderCollector {
  #chunks: Buffer[] = []
  #bytes = 0
  /** The last (up to) three bytes seen, for a blank line split across chunks. */
  #tail: Buffer = Buffer.alloc(0)
  /** Bytes of the header block, blank line included, once complete. */
  headerSize = 0
  complete = false
  tooBig = false
  header: Header | undefined
  encoding: BufferEncoding = 'utf8'

  constructor(private readonly max: number) {}

  /** Feeds stored bytes; returns true when this chunk completed the header. */
  push(chunk: Buffer): boolean {
    if (this.complete || this.tooBig) return false
    // The blank line may start in the previous chunk: look back three bytes.
    const lookBack = this.#tail.length
    const joined = lookBack ? Buffer.concat([this.#tail, chunk]) : chunk
    const atStart = this.#bytes === 0 && chunk[0] === 0x0d && chunk[1] === 0x0a
    const idx = atStart ? -2 : joined.indexOf(CRLFCRLF)
    if (idx !== -1 || atStart) {
      const end = atStart ? 2 : idx - lookBack + 4 // bytes of this chunk that belong to the header
      this.#chunks.push(chunk.subarray(0, end))
      this.#bytes += end
      if (this.#bytes > this.max) return this.#overflow()
      this.headerSize = this.#bytes
      this.#finish()
      return true
    }
    this.#chunks.push(chunk)
    this.#bytes += chunk.length
    this.#tail = Buffer.from(joined.subarray(Math.max(0, joined.length - 3)))
    if (this.#bytes > this.max) return this.#overflow()
    return false
  }

  /** The message ended before an empty line: the whole message is header. */
  end(): boolean {
    if (this.complete || this.tooBig) return false
    this.headerSize = this.#bytes
    this.#finish()
    return true
  }

  #overflow(): boolean {
    this.tooBig = true
    this.#chunks = []
    return false
  }

  #finish(): void {
    this.complete = true
    const block = Buffer.concat(this.#chunks)
    this.#chunks = []
    // Byte-exact round trip: UTF-8 headers (RFC 6532) read as UTF-8, anything else as latin1.
    this.encoding = isUtf8(block) ? 'utf8' : 'latin1'
    this.header = Header.parse(block.toString(this.encoding))
  }
}
