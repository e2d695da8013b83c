/**
 * The Transport over a TCP socket, with STARTTLS: the plaintext socket is handed to a TLSSocket
 * in the same tick our `data` listener is removed, so no byte is read twice or lost.
 */
import type { Socket } from 'node:net'
import { type SecureContext, TLSSocket } from 'node:tls'
import type { TlsInfo } from '@postern/core'
import type { InputReader } from './input.js'
import type { Transport } from './transport.js'

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

export class SocketTransport implements Transport {
  #socket: Socket
  readonly #onData = (chunk: Buffer) => this.input.push(chunk)
  readonly #onEnd = () => this.input.end()

  constructor(
    socket: Socket,
    private readonly input: InputReader,
    private readonly secureContext: SecureContext | undefined,
  ) {
    this.#socket = socket
    this.#attach(socket)
    socket.resume()
  }

  get socket(): Socket {
    return this.#socket
  }

  get tlsAvailable(): boolean {
    return this.secureContext !== undefined && !(this.#socket instanceof TLSSocket)
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
    if (!this.secureContext) return Promise.reject(new Error('TLS is not configured'))
    this.#detach(plain)
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.secureContext })
    this.#socket = secure
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
