/**
 * Does a host name spell out the client's IPv4 address? `dsl-192-0-2-7.isp.example`,
 * `7.2.0.192.pool.example`, `c0000207.example`, `192000002007.example`: typical of names an ISP
 * generates for a whole address pool, rarely of a mail server's. Built from the four numbers, so
 * the expression has no client-controlled syntax.
 */
import { isIP } from 'node:net'

function octet(n: number): string {
  // 7, 07, 007 all spell 7; 0 is 0, 00 or 000.
  return n === 0 ? '0{1,3}' : `0{0,${3 - String(n).length}}${n}`
}

export function embedsIp(name: string, ip: string): boolean {
  if (isIP(ip) !== 4) return false
  const parts = ip.split('.').map(Number)
  const lower = name.toLowerCase()
  const sep = '[-._]'
  for (const order of [parts, [...parts].reverse()]) {
    const dotted = new RegExp(`(^|[^0-9])${order.map(octet).join(sep)}([^0-9]|$)`)
    const packed = order.map((p) => String(p).padStart(3, '0')).join('')
    if (dotted.test(lower) || new RegExp(`(^|[^0-9])${packed}([^0-9]|$)`).test(lower)) return true
  }
  const hex = parts.map((p) => p.toString(16).padStart(2, '0')).join('')
  return new RegExp(`(^|[^0-9a-f])${hex}([^0-9a-f]|$)`).test(lower)
}
