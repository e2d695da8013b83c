/**
 * A raw SMTP client for tests that need exact bytes on the wire (pipelining, smuggling,
 * STARTTLS injection): write bytes, read whole replies.
 */
import { connect, type Socket } from 'node:net'

/** A raw SMTP client over a socket: write bytes, read whole replies. */
export class RawClient {
  #buf = ''
  #waiters: (() => void)[] = []
  closed = false
  constructor(readonly socket: Socket) {
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      this.#buf += d
      for (const w of this.#waiters.splice(0)) w()
    })
    socket.on('close', () => {
      this.closed = true
      for (const w of this.#waiters.splice(0)) w()
    })
    socket.on('error', () => {})
  }

  /** Connects to 127.0.0.1:port, optionally from another loopback address (127.0.0.x). */
  static open(port: number, localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () =>
        resolve(new RawClient(s)),
      )
      s.once('error', reject)
    })
  }

  write(data: string | Buffer): void {
    this.socket.write(data)
  }

  /** The next complete reply, or undefined if the connection closed first. */
  async reply(timeoutMs = 10_000): Promise<string | undefined> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(this.#buf)
      if (m) {
        this.#buf = this.#buf.slice(m[0].length)
        return m[0].trimEnd()
      }
      if (this.closed) return undefined
      if (Date.now() > end) throw new Error(`no reply in time; have ${JSON.stringify(this.#buf)}`)
      await new Promise<void>((r) => {
        this.#waiters.push(r)
        setTimeout(r, 50)
      })
    }
  }

  async command(line: string): Promise<string | undefined> {
    this.write(`${line}\r\n`)
    return this.reply()
  }

  /** Bytes received and not yet parsed as replies. */
  get unread(): string {
    return this.#buf
  }

  close(): void {
    this.socket.destroy()
  }
}
