/**
 * The body of one attached message on its way to a walk of its own. The outer walk writes the
 * part's body here as it arrives (waiting when the inner walk is behind, so memory stays flat)
 * and ends it when the part ends; the inner walk's failure surfaces on the next write or end.
 */
import { once } from 'node:events'
import { PassThrough, type Readable } from 'node:stream'
import type { MimeNode } from '@zone-eu/mailsplit'

export class EmbeddedMessage {
  private readonly input = new PassThrough()
  private readonly done: Promise<void>

  /** `node` is the outer part whose body this is; `walk` reads the body as a message. */
  constructor(
    readonly node: MimeNode,
    walk: (body: Readable) => Promise<void>,
  ) {
    this.done = walk(this.input)
    // Failures are reported by write and end; until then the rejection is not unhandled.
    this.done.catch(() => undefined)
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.input.destroyed) return this.done
    if (this.input.write(chunk)) return
    const stop = new AbortController()
    try {
      await Promise.race([once(this.input, 'drain', { signal: stop.signal }), this.done])
    } finally {
      stop.abort()
    }
  }

  /** The part is over: waits until its message was walked to the end. */
  async end(): Promise<void> {
    if (!this.input.destroyed) this.input.end()
    return this.done
  }

  /** The outer walk failed: stops the inner one, whatever it was doing. */
  async abandon(): Promise<void> {
    this.input.destroy()
    await this.done.catch(() => undefined)
  }
}
