/**
 * One TCP session. The engine fills it in; plugins read it and keep notes on it.
 */
import { Notes } from './notes.js'

export interface TlsInfo {
  /** e.g. `TLSv1.3` */
  readonly protocol: string
  /** e.g. `TLS_AES_256_GCM_SHA384` */
  readonly cipher: string
  /** True when the client presented a certificate that verified against the configured CA. */
  readonly authorized: boolean
  /** The client certificate's subject CN, when one was presented. */
  readonly peerName?: string
}

export interface AuthInfo {
  readonly user: string
  /** `PLAIN`, `LOGIN` or `CRAM-MD5` */
  readonly mechanism: string
}

export type HelloType = 'helo' | 'ehlo'

let counter = 0

export interface ConnectionInit {
  remoteIp: string
  remotePort: number
  localIp: string
  localPort: number
  remoteHost?: string
  id?: string
}

export class Connection {
  /** A short id that names this session in every log line. */
  readonly id: string
  readonly startedAt = Date.now()
  #notes: Notes | undefined
  /** Notes plugins keep on this connection (made on first use: an idle session needs none). */
  get notes(): Notes {
    this.#notes ??= new Notes()
    return this.#notes
  }
  remoteIp: string
  remotePort: number
  localIp: string
  localPort: number
  /** Reverse DNS name if known, otherwise `[ip]`. */
  remoteHost: string
  helloType: HelloType | undefined
  helloHost: string | undefined
  tls: TlsInfo | undefined
  auth: AuthInfo | undefined
  /** Allowed to relay: set by relay plugins, by RELAYCLIENT, or by a successful AUTH. */
  relayClient = false
  /** Set by the engine when the client sent bytes before the 220 greeting was written. */
  earlyTalker = false
  /** Set by the engine once the 220 greeting has been written. */
  greeted = false

  constructor(init: ConnectionInit) {
    this.id = init.id ?? `${process.pid.toString(36)}.${(++counter).toString(36)}`
    this.remoteIp = init.remoteIp
    this.remotePort = init.remotePort
    this.localIp = init.localIp
    this.localPort = init.localPort
    this.remoteHost = init.remoteHost ?? `[${init.remoteIp}]`
  }

  /** The RFC 3848 protocol name for the Received header: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA. */
  get protocol(): string {
    if (this.helloType !== 'ehlo') return 'SMTP'
    return `ESMTP${this.tls ? 'S' : ''}${this.auth ? 'A' : ''}`
  }
}
