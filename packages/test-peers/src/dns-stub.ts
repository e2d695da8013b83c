/**
 * Broken DNS servers for the failure paths: a "black hole" UDP port that reads queries and never
 * answers (timeouts), and one that answers every query with SERVFAIL. dnsmasq forwards chosen
 * zones to them, so one real server can answer some names and fail others.
 */
import { createSocket } from 'node:dgram'
import { serveUdp, type UdpServer } from './udp-server.js'

export type StubDns = UdpServer

export type StubDnsMode = 'blackhole' | 'servfail'

/** Starts a UDP DNS stub on an ephemeral 127.0.0.1 port. */
export function startStubDns(mode: StubDnsMode): Promise<StubDns> {
  return serveUdp((msg, from, socket) => {
    if (mode === 'blackhole' || msg.length < 12) return
    // Echo the query with QR set, RA set and RCODE 2 (SERVFAIL): a valid reply with no records.
    const reply = Buffer.from(msg)
    reply[2] = (reply[2]! | 0x80) & ~0x04 // QR = response, AA off
    reply[3] = (reply[3]! & 0x70) | 0x80 | 0x02 // RA, RCODE = SERVFAIL
    reply.writeUInt16BE(0, 6) // no answers
    reply.writeUInt16BE(0, 8) // no authority
    // Keep the question; drop anything after it (EDNS OPT in the additional section).
    reply.writeUInt16BE(0, 10)
    const end = questionEnd(reply)
    socket.send(end > 0 ? reply.subarray(0, end) : reply, from.port, from.address)
  })
}

/** The offset just past the first question (name + type + class), or -1 if malformed. */
function questionEnd(msg: Buffer): number {
  let i = 12
  while (i < msg.length) {
    const len = msg[i]!
    if (len === 0) return i + 1 + 4 <= msg.length ? i + 1 + 4 : -1
    if (len & 0xc0) return -1 // compression pointers do not occur in a question we sent
    i += len + 1
  }
  return -1
}

export interface DelayProxy extends StubDns {}

/**
 * A UDP forwarder that answers every query `delayMs` late, as a DNS server across a real
 * network would: with the local dnsmasq behind it, it shows what running lookups in parallel buys.
 */
export function startDelayProxy(upstream: string, delayMs: number): Promise<DelayProxy> {
  const [host = '127.0.0.1', portText = '53'] = upstream.split(':')
  const timers = new Set<NodeJS.Timeout>()
  return serveUdp(
    (msg, from, socket) => {
      const hop = createSocket('udp4')
      hop.once('message', (answer) => {
        hop.close()
        const t = setTimeout(() => {
          timers.delete(t)
          socket.send(answer, from.port, from.address)
        }, delayMs)
        timers.add(t)
      })
      hop.send(msg, Number(portText), host)
    },
    () => {
      for (const t of timers) clearTimeout(t)
    },
  )
}
