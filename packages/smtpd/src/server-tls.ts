/**
 * The server side of TLS (STARTTLS and implicit-TLS listeners). node:tls is loaded only when a
 * certificate is configured: it costs several ms of every start otherwise.
 */
import { readFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'

export interface ServerTls {
  /** Starts the server end of a TLS handshake over `socket`. */
  wrap(socket: Socket): TLSSocket
}

export async function loadServerTls(certFile: string, keyFile: string): Promise<ServerTls> {
  const tls = await import('node:tls')
  const secureContext = tls.createSecureContext({
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    minVersion: 'TLSv1.2',
  })
  return { wrap: (socket) => new tls.TLSSocket(socket, { isServer: true, secureContext }) }
}
