/**
 * Next-hop addresses as admins write them: `host`, `host:port`, `[2001:db8::1]:port`,
 * `unix:/path/to/socket` or an absolute socket path.
 */
import { isIP } from 'node:net'
import type { Endpoint } from './connection.js'

const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/

/** Parses an endpoint; throws with a message naming the text when it is not one. */
export function parseEndpoint(text: string, defaultPort: number): Endpoint {
  const t = text.trim()
  if (t.startsWith('unix:')) {
    const p = t.slice(5)
    if (!p.startsWith('/')) throw new Error(`"${text}": a unix socket needs an absolute path`)
    return { path: p }
  }
  if (t.startsWith('/')) return { path: t }
  let host: string
  let port: string | undefined
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t)
  if (v6) {
    host = v6[1]!
    port = v6[2]
    if (isIP(host) !== 6) throw new Error(`"${text}": not an IPv6 address in brackets`)
  } else {
    const parts = t.split(':')
    if (parts.length > 2) throw new Error(`"${text}": write IPv6 addresses in brackets, [2001:db8::1]:25`)
    host = parts[0]!
    port = parts[1]
    if (!HOST.test(host)) throw new Error(`"${text}": not a host name or address`)
  }
  const n = port === undefined ? defaultPort : Number(port)
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`"${text}": bad port`)
  return { host, port: n }
}
