/**
 * One socket to an SMTP or LMTP server: replies read in order, commands written, STARTTLS
 * upgrade, and a message streamed with strict framing. Every wait is bounded by the caller's
 * AbortSignal (its deadline), so a stalled server can never hold a hook past its time.
 */
import { connect as netConnect, type Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls'
import { SmtpClientError } from './errors.js'
import { LineCanonicalizer } from './framing.js'
import { type Reply, ReplyParser } from './reply.js'

export type Endpoint = { host: string; port: number } | { path: string }

export interface ConnectOptions {
  endpoint: Endpoint
  /** Aborts everything (deadline, client gone). Its reason decides the error kind (see `abortKind`). */
  signal: AbortSignal
  /** Milliseconds for the TCP/unix connect. */
  connectTimeout?: number
  /** Local address to connect from. */
  localAddress?: string
}

/** What an abort reason means: our own deadline (`timeout`) or anything else (`aborted`). */
export function abortKind(signal: AbortSignal): 'timeout' | 'aborted' {
  const reason: unknown = signal.reason
  // AbortSignal.timeout() aborts with a DOMException named TimeoutError.
  const name = typeof reason === 'object' && reason !== null ? (reason as { name?: unknown }).name : undefined
  return name === 'TimeoutError' ? 'timeout' : 'aborted'
}

export function describeEndpoint(e: Endpoint): string {
  if ('path' in e) return `unix:${e.path}`
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`
}

type Waiter = { resolve: (r: Reply) => void; reject: (e: Error) => void }

export class SmtpConnection {
  #socket: Socket | TLSSocket
  readonly #signal: AbortSignal
  #parser = new ReplyParser()
  readonly #replies: Reply[] = []
  readonly #waiters: Waiter[] = []
  /** Woken when the connection fails (a write waiting for drain). */
  readonly #failListeners = new Set<() => void>()
  #failure: SmtpClientError | undefined
  #tls = false
  readonly #onAbort: () => void

  private constructor(socket: Socket, signal: AbortSignal) {
    this.#socket = socket
    this.#signal = signal
    this.#onAbort = () => {
      const kind = abortKind(signal)
      this.#fail(
        new SmtpClientError(kind, kind === 'timeout' ? 'timed out talking to the server' : 'aborted'),
      )
    }
    signal.addEventListener('abort', this.#onAbort, { once: true })
    this.#attach(socket)
  }

  /** Opens the connection; resolves once the socket is connected (the greeting is read separately). */
  static connect(options: ConnectOptions): Promise<SmtpConnection> {
    const { endpoint, signal } = options
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        const kind = abortKind(signal)
        reject(
          new SmtpClientError(kind === 'timeout' ? 'connect-timeout' : 'aborted', 'no time left to connect'),
        )
        return
      }
      const socket =
        'path' in endpoint
          ? netConnect({ path: endpoint.path })
          : netConnect({
              host: endpoint.host,
              port: endpoint.port,
              ...(options.localAddress ? { localAddress: options.localAddress } : {}),
            })
      let timer: NodeJS.Timeout | undefined
      const cleanup = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        socket.off('error', onError)
        socket.off('connect', onConnect)
      }
      const onConnect = () => {
        cleanup()
        resolve(new SmtpConnection(socket, signal))
      }
      const onError = (err: NodeJS.ErrnoException) => {
        cleanup()
        socket.destroy()
        reject(
          new SmtpClientError(
            'connect',
            `cannot connect to ${describeEndpoint(endpoint)}: ${err.message}`,
            err.code,
          ),
        )
      }
      const onAbort = () => {
        cleanup()
        socket.destroy()
        const kind = abortKind(signal)
        reject(
          new SmtpClientError(
            kind === 'timeout' ? 'connect-timeout' : 'aborted',
            `${kind === 'timeout' ? 'timed out' : 'aborted'} connecting to ${describeEndpoint(endpoint)}`,
          ),
        )
      }
      socket.once('connect', onConnect)
      socket.once('error', onError)
      signal.addEventListener('abort', onAbort, { once: true })
      if (options.connectTimeout !== undefined && Number.isFinite(options.connectTimeout))
        timer = setTimeout(() => {
          cleanup()
          socket.destroy()
          reject(
            new SmtpClientError('connect-timeout', `timed out connecting to ${describeEndpoint(endpoint)}`),
          )
        }, options.connectTimeout)
    })
  }

  /** True once STARTTLS succeeded (or the socket was TLS from the start). */
  get tls(): boolean {
    return this.#tls
  }

  get failure(): SmtpClientError | undefined {
    return this.#failure
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.on('data', this.#onData)
    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
  }

  #detach(socket: Socket | TLSSocket): void {
    socket.off('data', this.#onData)
    socket.off('error', this.#onError)
    socket.off('close', this.#onClose)
  }

  readonly #onData = (chunk: Buffer) => {
    let replies: Reply[]
    try {
      replies = this.#parser.push(chunk)
    } catch (err) {
      this.#fail(err as SmtpClientError)
      return
    }
    for (const r of replies) {
      const w = this.#waiters.shift()
      if (w) w.resolve(r)
      else this.#replies.push(r)
    }
  }

  readonly #onError = (err: Error) => {
    this.#fail(
      new SmtpClientError('closed', `connection failed: ${err.message}`, (err as NodeJS.ErrnoException).code),
    )
  }

  readonly #onClose = () => {
    this.#fail(new SmtpClientError('closed', 'the server closed the connection'))
  }

  #fail(err: SmtpClientError): void {
    if (this.#failure) return
    this.#failure = err
    this.#signal.removeEventListener('abort', this.#onAbort)
    this.#socket.destroy()
    for (const w of this.#waiters.splice(0)) w.reject(err)
    for (const f of [...this.#failListeners]) f()
  }

  /** The next reply from the server. */
  read(): Promise<Reply> {
    const r = this.#replies.shift()
    if (r) return Promise.resolve(r)
    if (this.#failure) return Promise.reject(this.#failure)
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  /** Writes command lines (CRLF added); several lines make a pipelined group. */
  write(...lines: string[]): void {
    if (this.#failure) throw this.#failure
    // An argument with a line break would smuggle a second command (addresses are validated,
    // but this is the last place to be sure).
    for (const line of lines)
      if (/[\r\n\0]/.test(line))
        throw new SmtpClientError('protocol', 'refusing to send a command with CR, LF or NUL')
    this.#socket.write(lines.map((l) => `${l}\r\n`).join(''))
  }

  /** Sends one command and reads its reply. */
  async command(line: string): Promise<Reply> {
    this.write(line)
    return this.read()
  }

  /**
   * Upgrades to TLS after the server's 220 to STARTTLS. Bytes the server sent after that 220
   * are refused: they would be read as if they came over TLS (response injection).
   */
  async startTls(options: ConnectionOptions): Promise<void> {
    if (this.#failure) throw this.#failure
    if (this.#replies.length || this.#parser.buffered)
      throw new SmtpClientError('protocol', 'server sent data after its STARTTLS reply (possible injection)')
    const plain = this.#socket
    this.#detach(plain)
    const secure = tlsConnect({ ...options, socket: plain as Socket })
    this.#socket = secure
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        secure.off('secureConnect', onSecure)
        secure.off('error', onError)
        secure.off('close', onClose)
        this.#signal.removeEventListener('abort', onAbort)
        if (err) reject(err)
        else resolve()
      }
      const onSecure = () => done()
      const onError = (err: Error) => {
        secure.destroy()
        done(
          new SmtpClientError(
            'tls',
            `TLS handshake failed: ${err.message}`,
            (err as NodeJS.ErrnoException).code,
          ),
        )
      }
      const onClose = () =>
        done(new SmtpClientError('tls', 'the server closed the connection during the TLS handshake'))
      const onAbort = () => {
        secure.destroy()
        const kind = abortKind(this.#signal)
        done(new SmtpClientError(kind, 'TLS handshake did not finish in time'))
      }
      secure.once('secureConnect', onSecure)
      secure.once('error', onError)
      secure.once('close', onClose)
      if (this.#signal.aborted) onAbort()
      else this.#signal.addEventListener('abort', onAbort, { once: true })
    }).catch((err: SmtpClientError) => {
      this.#fail(err)
      throw err
    })
    this.#parser = new ReplyParser()
    this.#attach(secure)
    this.#tls = true
  }

  /**
   * Streams a message after the 354: canonical CRLF line ends, dot-stuffing, the final
   * ".\r\n". Waits for the socket to drain so memory stays bounded; stops on abort or failure.
   */
  async sendMessage(message: Readable): Promise<void> {
    const framing = new LineCanonicalizer({ eol: '\r\n', dotStuff: true })
    try {
      for await (const chunk of message) {
        if (this.#failure) throw this.#failure
        const out = framing.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
        if (out.length && !this.#socket.write(out)) await this.#drained()
      }
      if (this.#failure) throw this.#failure
      this.#socket.write(framing.end(true))
    } catch (err) {
      message.destroy()
      if (err instanceof SmtpClientError) throw err
      // The spool could not be read: we must not let a half message look complete.
      const failure = new SmtpClientError('aborted', `reading the message failed: ${(err as Error).message}`)
      this.#fail(failure)
      throw failure
    }
  }

  #drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#failure) return reject(this.#failure)
      const socket = this.#socket
      const done = () => {
        socket.off('drain', done)
        this.#failListeners.delete(done)
        if (this.#failure) reject(this.#failure)
        else resolve()
      }
      this.#failListeners.add(done)
      socket.once('drain', done)
    })
  }

  /** A reply that arrived unasked (e.g. a 552 in the middle of the message), if any. */
  takeEarlyReply(): Reply | undefined {
    return this.#replies.shift()
  }

  /** Sends QUIT and waits briefly for the reply (`graceMs`); always closes the socket. */
  async quit(graceMs = 2000): Promise<void> {
    if (this.#failure) return
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        this.command('QUIT'),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs)
          timer.unref()
        }),
      ])
    } catch {
      // The server may close first; nothing depends on QUIT's reply.
    } finally {
      clearTimeout(timer)
      this.close()
    }
  }

  /** Closes the socket at once. */
  close(): void {
    this.#fail(new SmtpClientError('closed', 'connection closed by us'))
  }
}
