/** Client addresses as the lists want them. */
import { isIP } from 'node:net'

/** `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) → `192.0.2.1`; others unchanged. */
export function plainIp(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
  return mapped && isIP(mapped[1]!) === 4 ? mapped[1]! : ip
}
