/**
 * What the UDP DNS stubs share: a socket on an ephemeral 127.0.0.1 port that counts what it
 * receives and hands each datagram to the stub, ready once bound.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'

export interface UdpServer {
  /** `127.0.0.1:PORT`, the form `createDnsResolver({ servers })` and `config/dns_servers` take. */
  readonly server: string
  readonly port: number
  /** Datagrams received so far (to show a lookup really was sent). */
  readonly queries: number
  close(): Promise<void>
}

/**
 * Binds a udp4 socket to 127.0.0.1 on a free port; `onMessage` gets each datagram with the
 * socket to answer on. `onClose` runs before the socket closes (to drop pending replies).
 */
export function serveUdp(
  onMessage: (msg: Buffer, from: RemoteInfo, socket: Socket) => void,
  onClose: () => void = () => {},
): Promise<UdpServer> {
  const socket = createSocket('udp4')
  let queries = 0
  socket.on('message', (msg, from) => {
    queries++
    onMessage(msg, from, socket)
  })
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address()
      resolve({
        server: `127.0.0.1:${port}`,
        port,
        get queries() {
          return queries
        },
        close: () =>
          new Promise<void>((done) => {
            onClose()
            socket.close(() => done())
          }),
      })
    })
  })
}
