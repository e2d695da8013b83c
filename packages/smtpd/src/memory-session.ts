/**
 * A session with no socket: bytes in, replies out. The same Session class the server runs, so a
 * test of commands and hooks exercises the real engine. @postern/testing builds on it.
 */
import { Connection, type ConnectionInit, type PluginHost, type TlsInfo } from '@postern/core'
import { InputReader } from './input.js'
import { Session } from './session.js'
import { readSettings, type Settings } from './settings.js'
import type { Transport } from './transport.js'

export interface MemorySessionOptions {
  host: PluginHost
  /** Overrides of the settings read from the host's config dir. */
  settings?: Partial<Settings>
  connection?: Partial<ConnectionInit>
}

export interface MemorySession {
  readonly connection: Connection
  readonly session: Session
  /** The 220 greeting (or the refusal that closed the session). */
  readonly greeting: Promise<string>
  /** Sends raw bytes (several commands, message data, hostile input). */
  send(data: string | Buffer): void
  /** Sends one command line (CRLF added) and resolves with its whole reply. */
  command(line: string): Promise<string>
  /** The next complete reply (multi-line replies joined with CRLF, without the last CRLF). */
  reply(): Promise<string>
  /** Every reply received so far and not yet taken by `reply()`. */
  pending(): string[]
  /** Resolves when the session has ended. */
  readonly ended: Promise<void>
  /** Simulates the client closing the connection. */
  end(): void
}

const LAST_LINE = /^\d{3}(?: .*)?$/

class MemoryTransport implements Transport {
  closed = false
  #buf = ''
  readonly #replies: string[] = []
  readonly #waiters: ((r: string | undefined) => void)[] = []
  tlsAvailable = false

  write(data: string): void {
    this.#buf += data
    for (;;) {
      // A reply is complete at a line "NNN text" (space, not hyphen).
      let end = -1
      let pos = 0
      for (;;) {
        const nl = this.#buf.indexOf('\r\n', pos)
        if (nl < 0) break
        const line = this.#buf.slice(pos, nl)
        pos = nl + 2
        if (LAST_LINE.test(line)) {
          end = nl
          break
        }
      }
      if (end < 0) return
      const reply = this.#buf.slice(0, end)
      this.#buf = this.#buf.slice(end + 2)
      const w = this.#waiters.shift()
      if (w) w(reply)
      else this.#replies.push(reply)
    }
  }

  next(): Promise<string> {
    const r = this.#replies.shift()
    if (r !== undefined) return Promise.resolve(r)
    if (this.closed) return Promise.reject(new Error('session closed'))
    return new Promise((resolve, reject) =>
      this.#waiters.push((x) => (x === undefined ? reject(new Error('session closed')) : resolve(x))),
    )
  }

  pending(): string[] {
    return this.#replies.splice(0)
  }

  close(): void {
    this.closed = true
    for (const w of this.#waiters.splice(0)) w(undefined)
  }

  pause(): void {}
  resume(): void {}
  startTls(): Promise<TlsInfo> {
    return Promise.reject(new Error('no TLS in a memory session'))
  }
}

export function openMemorySession(options: MemorySessionOptions): MemorySession {
  const connection = new Connection({
    remoteIp: '192.0.2.1',
    remotePort: 40000,
    localIp: '127.0.0.1',
    localPort: 25,
    ...options.connection,
  })
  const settings: Settings = { ...readSettings(options.host.config.files), ...options.settings }
  const transport = new MemoryTransport()
  const input = new InputReader(transport)
  const session = new Session({ host: options.host, settings, connection, transport, input })
  const ended = session.run()
  return {
    connection,
    session,
    greeting: transport.next(),
    send: (data) => input.push(typeof data === 'string' ? Buffer.from(data) : data),
    command(line) {
      input.push(Buffer.from(`${line}\r\n`))
      return transport.next()
    },
    reply: () => transport.next(),
    pending: () => transport.pending(),
    ended,
    end: () => input.end(),
  }
}
