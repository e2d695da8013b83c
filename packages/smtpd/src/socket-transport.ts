/**
 * The Transport over a TCP socket, with STARTTLS: the plaintext socket is handed to a TLSSocket
 * in the same tick our `data` listener is removed, so no byte is read twice or lost.
 */
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Connection, TlsInfo } from '@postern/core'
import { InputReader } from './input.js'
import type { ServerTls } from './server-tls.js'
import type { Transport } from './transport.js'
import { whenDrained } from './when-drained.js'

export function tlsInfo(s: TLSSocket): TlsInfo {
  const cert = s.getPeerCertificate()
  const peerName = cert && typeof cert.subject?.CN === 'string' ? cert.subject.CN : undefined
  return {
    protocol: s.getProtocol() ?? 'TLS',
    cipher: s.getCipher()?.name ?? 'unknown',
    authorized: s.authorized,
    ...(peerName ? { peerName } : {}),
  }
}

/** Unsent reply bytes above which the session stops taking commands (see `backlogged`). */
const WRITE_HIGH_WATER = 64 * 1024

export class SocketTransport implements Transport {
  #socket: Socket
  /** What the socket received, for the session to read; it pauses and resumes this transport. */
  readonly input: InputReader
  readonly #connection: Connection
  readonly #onData = (chunk: Buffer) => {
    // Bytes before our greeting mark an early talker; check_earlytalker polls this flag.
    if (!this.#connection.greeted) this.#connection.earlyTalker = true
    this.input.push(chunk)
  }
  readonly #onEnd = () => this.input.end()
  /** STARTTLS has replaced the plaintext socket. */
  #upgraded = false

  constructor(
    socket: Socket,
    connection: Connection,
    /** For STARTTLS; undefined when TLS is not configured or already on (implicit TLS). */
    private readonly tls: ServerTls | undefined,
    /** Bytes already read from the socket (what followed a PROXY header). */
    leftover?: Buffer,
  ) {
    this.#socket = socket
    this.#connection = connection
    this.input = new InputReader(this)
    if (leftover?.length) this.#onData(leftover)
    this.#attach(socket)
    socket.resume()
  }

  get socket(): Socket {
    return this.#socket
  }

  get tlsAvailable(): boolean {
    return this.tls !== undefined && !this.#upgraded
  }

  #attach(s: Socket): void {
    s.on('data', this.#onData)
    s.on('end', this.#onEnd)
    s.on('close', this.#onEnd)
    s.on('error', this.#onEnd)
  }

  #detach(s: Socket): void {
    s.off('data', this.#onData)
    s.off('end', this.#onEnd)
    s.off('close', this.#onEnd)
    s.off('error', this.#onEnd)
  }

  write(data: string): void {
    if (!this.#socket.destroyed && this.#socket.writable) this.#socket.write(data)
  }

  /** The client is not reading its replies: more than 64 KiB wait in the socket's buffer. */
  get backlogged(): boolean {
    const s = this.#socket
    // writableNeedDrain: a 'drain' event is due, which `drained()` waits for.
    return !s.destroyed && s.writableNeedDrain && s.writableLength > WRITE_HIGH_WATER
  }

  drained(): Promise<void> {
    return whenDrained(this.#socket)
  }

  close(): void {
    const s = this.#socket
    if (s.destroyed) return
    s.end()
    // A client that never reads its last replies must not hold the socket forever.
    const timer = setTimeout(() => s.destroy(), 10_000).unref()
    // Closed in time: drop the timer, which would hold the socket for 10 s.
    s.once('close', () => clearTimeout(timer))
  }

  pause(): void {
    this.#socket.pause()
  }

  resume(): void {
    this.#socket.resume()
  }

  startTls(): Promise<TlsInfo> {
    const plain = this.#socket
    if (!this.tls || this.#upgraded) return Promise.reject(new Error('TLS is not available'))
    this.#detach(plain)
    const secure = this.tls.wrap(plain)
    this.#socket = secure
    this.#upgraded = true
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        secure.destroy()
        reject(err)
      }
      secure.once('error', fail)
      secure.once('secure', () => {
        secure.off('error', fail)
        this.#attach(secure)
        resolve(tlsInfo(secure))
      })
      // The handshake must finish within a reasonable time.
      secure.setTimeout(30_000, () => fail(new Error('TLS handshake timed out')))
      secure.once('secure', () => secure.setTimeout(0))
    })
  }
}
