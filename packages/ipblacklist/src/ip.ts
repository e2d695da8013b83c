/**
 * One spelling per address, so a key written by tokenbucket or `postern store add` is the key
 * ipblacklist looks up: IPv4-mapped IPv6 (`::ffff:192.0.2.1`) becomes plain IPv4, and IPv6 is
 * lower-cased and compressed as RFC 5952 says (the WHATWG URL serialiser does exactly that).
 */
import { isIP } from 'node:net'

export function normalizeIp(text: string): string | undefined {
  let ip = text.trim()
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) ip = mapped[1]!
  const family = isIP(ip)
  if (family === 4) return ip
  if (family !== 6) return undefined
  if (ip.includes('%')) return undefined // a zone index names a local link, never a mail client
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1)
}
