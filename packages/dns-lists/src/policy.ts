/** The `dns_error` argument: what a failed lookup (SERVFAIL, timeout) means for the client. */
export type DnsErrorPolicy = 'pass' | 'defer'

export function parseDnsErrorPolicy(value: string | undefined, fallback: DnsErrorPolicy): DnsErrorPolicy {
  if (value === undefined) return fallback
  const v = value.trim().toLowerCase()
  if (v === 'pass' || v === 'defer') return v
  throw new Error(`dns_error must be pass or defer, not ${JSON.stringify(value)}`)
}

/**
 * Text from DNS (a TXT record) made safe for an SMTP reply: no control characters (a CR LF would
 * let a list inject reply lines), bounded length.
 */
export function replySafe(text: string, max = 400): string {
  const clean = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim()
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean
}
