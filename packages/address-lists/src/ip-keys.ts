/**
 * The keys qpsmtpd looked a client IP up under in its maps (morerelayclients.cdb,
 * norelayclients): the address, then the address with one more trailing part stripped each
 * time (`192.0.2.7`, `192.0.2.`, `192.0.`, `192.`). For IPv6 it first folded `::` to `:` and
 * stripped groups the same way. Kept for the cdb maps, whose keys were written in that form.
 */
import { normalizeIp } from './ip-list.js'

export function ipLookupKeys(ip: string): string[] {
  let s = normalizeIp(ip).replace('::', ':')
  const out: string[] = []
  while (s) {
    out.push(s)
    const next = s.replace(/[0-9a-z]+[:.]?$/i, '')
    if (next === s) break
    s = next
  }
  return out
}
