/**
 * The client part of a greylisting key. A large sender retries from another address of the same
 * pool, and an IPv6 host may change its interface id, so the key may hold the client's network
 * (`ipv4_prefix 24`, `ipv6_prefix 64`) rather than its exact address (RFC 6647 section 5.1).
 */
import { isIP } from 'node:net'
import { expandIpv6 } from '@postern/core'

export function clientNetwork(remoteIp: string, ipv4Prefix: number, ipv6Prefix: number): string | undefined {
  let ip = remoteIp.trim()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) ip = mapped[1]!
  const family = isIP(ip)
  if (family === 4) {
    if (ipv4Prefix >= 32) return ip
    const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0)
    const size = 2 ** (32 - ipv4Prefix)
    const net = Math.floor(n / size) * size
    return `${[24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.')}/${ipv4Prefix}`
  }
  if (family !== 6 || ip.includes('%')) return undefined
  const bits = BigInt(`0x${expandIpv6(ip).replaceAll(':', '')}`)
  const keep = BigInt(Math.max(0, Math.min(128, ipv6Prefix)))
  const net = ipv6Prefix >= 128 ? bits : (bits >> (128n - keep)) << (128n - keep)
  const hex = net.toString(16).padStart(32, '0')
  const groups = hex.match(/.{4}/g)!.join(':')
  // The URL serialiser compresses as RFC 5952 says.
  const canonical = new URL(`http://[${groups}]/`).hostname.slice(1, -1)
  return ipv6Prefix >= 128 ? canonical : `${canonical}/${ipv6Prefix}`
}
