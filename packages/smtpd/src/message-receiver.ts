/**
 * Receives a message body — DATA (dot-framed) or BDAT chunks (counted) — into the spool, watching
 * the limits as bytes arrive: message size, header size, bare line ends, and the minimum rate
 * (a client trickling one byte a second is cut off with 421 4.4.2). The header is parsed when its
 * block ends, and `data_headers_end` runs then, while the rest is still arriving.
 */
import type { EnhancedCode, Header, HookResult } from '@postern/core'
import { DENY_DISCONNECT, DENYSOFT_DISCONNECT, isDenial } from '@postern/core'
import { DataParser } from './data-parser.js'
import { GcPacer } from './gc-pacer.js'
import { HeaderCollector } from './header-collector.js'
import { LineEndChecker } from './line-ends.js'
import type { Session } from './session.js'
import { type SpooledMessage, SpoolWriter } from './spool.js'

export interface Refusal {
  readonly code: number
  readonly text: string
  readonly enhanced: EnhancedCode
  readonly close: boolean
}

export interface MessageSink {
  /** BDAT: reads one chunk of exactly `size` bytes. False when the session must stop. */
  chunk(size: number): Promise<boolean>
  /**
   * The content is complete (the final dot, or BDAT LAST). Ends the header block if no blank line
   * did (data_headers_end runs then). False when the session must stop.
   */
  end(): Promise<boolean>
  /** Why the message is refused on framing or limits, if it is. */
  refusal(): Refusal | undefined
  /** The message or its header is over its size limit (BDAT answers each further chunk with it). */
  overLimit(): Refusal | undefined
  /** A DENY or DENYSOFT from data_headers_end, answered once the message is complete. */
  headersEndVerdict(): HookResult | undefined
  header(): Header | undefined
  finish(): Promise<SpooledMessage>
  discard(): Promise<void>
}

class Receiver implements MessageSink {
  readonly spool: SpoolWriter
  readonly headers: HeaderCollector
  /** Message bytes seen, stored or not (for the size limit). */
  size = 0
  tooBig = false
  bareLineEnd = false
  #earlyVerdict: HookResult | undefined
  /** Stop storing (refused early); keep reading to stay in sync with the client. */
  #discarding = false
  #stopped = false
  /** BDAT only: DATA's parser checks line ends itself. */
  readonly #lineEnds: LineEndChecker | undefined

  constructor(
    private readonly s: Session,
    bdat: boolean,
  ) {
    this.spool = new SpoolWriter(s.settings.spoolDir, s.settings.spoolThreshold, s.transaction!.id)
    this.headers = new HeaderCollector(s.settings.maxHeaderBytes)
    if (bdat) this.#lineEnds = new LineEndChecker(s.settings.bareLf === 'normalize')
  }

  /** Stores message bytes (after unstuffing); returns true when the header just completed. */
  store(chunk: Buffer): boolean {
    this.size += chunk.length
    const limit = this.s.settings.databytes
    if (limit && this.size > limit) {
      this.tooBig = true
      this.#discarding = true
    }
    const headerDone = this.headers.push(chunk)
    if (!this.#discarding) this.spool.write(chunk)
    return headerDone
  }

  /** Runs data_headers_end; returns false when the session must stop now. */
  async headerComplete(): Promise<boolean> {
    const tx = this.s.transaction!
    tx.header = this.headers.header
    const r = await this.s.first('data_headers_end', this.s)
    if (!isDenial(r.code)) return true
    if (r.code === DENY_DISCONNECT || r.code === DENYSOFT_DISCONNECT) {
      await this.s.replyFor('data_headers_end', r)
      this.#stopped = true
      return false
    }
    this.#earlyVerdict = r
    this.#discarding = true
    return true
  }

  /**
   * Waits for input with the minimum-rate rule. Undefined: the client left or was cut off.
   * With `data_min_rate`, each `data_rate_window` must bring that rate's bytes: a window that
   * did is followed by the next one even when its end falls in a pause, so a fast client is never
   * cut off for pausing at a window boundary. Without it, `command_timeout` of silence ends it.
   */
  async read(max?: number): Promise<Buffer | undefined> {
    const { dataMinRate, dataRateWindow, commandTimeout } = this.s.settings
    const p = max === undefined ? this.s.input.readChunk() : this.s.input.readUpTo(max)
    for (;;) {
      const remaining =
        dataMinRate > 0 ? Math.max(1, dataRateWindow - (Date.now() - this.windowStart)) : commandTimeout
      const chunk = await this.s.withDeadline(p, remaining)
      if (chunk === undefined) return undefined
      if (typeof chunk === 'symbol') {
        // The window ended in a pause (or, without a rate, the client fell silent).
        if (dataMinRate === 0 || !this.#windowMet()) return this.#tooSlow()
        this.#nextWindow()
        continue
      }
      this.windowBytes += chunk.length
      this.#gc.add(chunk.length)
      if (dataMinRate > 0 && Date.now() - this.windowStart >= dataRateWindow) {
        if (!this.#windowMet()) return this.#tooSlow()
        this.#nextWindow()
      }
      return chunk
    }
  }

  /** Did the current window bring `data_min_rate` bytes per second? */
  #windowMet(): boolean {
    const { dataMinRate, dataRateWindow } = this.s.settings
    return this.windowBytes >= (dataMinRate * dataRateWindow) / 1000
  }

  #nextWindow(): void {
    this.windowStart = Date.now()
    this.windowBytes = 0
  }

  windowStart = Date.now()
  windowBytes = 0
  readonly #gc = new GcPacer()

  async #tooSlow(): Promise<undefined> {
    await this.s.reply(
      421,
      [`${this.s.settings.me} Timeout: data arriving too slowly, closing connection`],
      '4.4.2',
    )
    this.s.close()
    this.#stopped = true
    return undefined
  }

  async chunk(size: number): Promise<boolean> {
    let left = size
    while (left > 0) {
      const piece = await this.read(left)
      if (!piece) {
        await this.discard()
        return false
      }
      left -= piece.length
      if (!(await this.#storeAll(this.#lineEnds ? this.#lineEnds.push(piece) : [piece]))) return false
      if (this.spool.backlogged) await this.spool.drained()
    }
    return true
  }

  /** Stores BDAT content; false (after discarding) when data_headers_end closed the session. */
  async #storeAll(pieces: readonly Buffer[]): Promise<boolean> {
    for (const piece of pieces) {
      if (this.store(piece) && !(await this.headerComplete())) {
        await this.discard()
        return false
      }
    }
    return true
  }

  async end(): Promise<boolean> {
    if (this.#lineEnds) {
      if (!(await this.#storeAll(this.#lineEnds.end()))) return false
      this.bareLineEnd = this.#lineEnds.bare
    }
    if (this.headers.end() && !(await this.headerComplete())) {
      await this.discard()
      return false
    }
    return true
  }

  overLimit(): Refusal | undefined {
    if (this.tooBig) return { code: 552, text: 'Message too big', enhanced: '5.3.4', close: false }
    if (this.headers.tooBig)
      return { code: 552, text: 'Message header too big', enhanced: '5.3.4', close: false }
    return undefined
  }

  refusal(): Refusal | undefined {
    const over = this.overLimit()
    if (over) return over
    if (this.bareLineEnd && this.s.settings.bareLf === 'reject')
      return {
        code: 550,
        text: 'Message contains bare CR or LF; lines must end with CRLF',
        enhanced: '5.5.2',
        close: false,
      }
    return undefined
  }

  headersEndVerdict(): HookResult | undefined {
    return this.#earlyVerdict
  }

  header(): Header | undefined {
    return this.headers.header
  }

  async finish(): Promise<SpooledMessage> {
    this.#gc.done()
    const h = this.headers
    return this.spool.finish(h.headerSize, () => this.s.transaction?.header, h.encoding)
  }

  discard(): Promise<void> {
    this.#gc.done()
    return this.spool.discard()
  }

  get stopped(): boolean {
    return this.#stopped
  }
}

/**
 * For DATA, reads up to the final dot and returns the sink; for the first BDAT, returns the sink
 * for `chunk()` calls. Undefined when the session must stop (client gone, too slow, hook closed).
 */
export async function receiveMessage(
  s: Session,
  how: { kind: 'data' | 'bdat-start' },
): Promise<MessageSink | undefined> {
  const r = new Receiver(s, how.kind === 'bdat-start')
  if (how.kind === 'bdat-start') return r
  let headerDone = false
  const parser = new DataParser((chunk) => {
    if (r.store(chunk)) headerDone = true
  }, s.settings.bareLf === 'normalize')
  for (;;) {
    const chunk = await r.read()
    if (!chunk) {
      await r.discard()
      return undefined
    }
    const res = parser.push(chunk)
    if (headerDone) {
      headerDone = false
      if (!(await r.headerComplete())) {
        await r.discard()
        return undefined
      }
    }
    // Read no faster than the spool file is written: unread input waits in the socket.
    if (!res.done && r.spool.backlogged) await r.spool.drained()
    if (res.done) {
      if (res.rest) s.input.unshift(res.rest)
      r.bareLineEnd = parser.bareLineEnd
      return (await r.end()) ? r : undefined
    }
  }
}
