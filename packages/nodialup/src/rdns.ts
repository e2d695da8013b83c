/** The client's reverse DNS, as an outcome rather than an exception. */
import { DnsError, type DnsResolver } from '@postern/core'

export type Rdns =
  | { readonly status: 'names'; readonly names: readonly string[] }
  | { readonly status: 'none'; readonly code: string }
  | { readonly status: 'error'; readonly code: string }

export async function reverseLookup(dns: DnsResolver, ip: string): Promise<Rdns> {
  try {
    const names = (await dns.reverse(ip)).map((n) => n.toLowerCase().replace(/\.$/, '')).filter(Boolean)
    return names.length ? { status: 'names', names } : { status: 'none', code: 'ENODATA' }
  } catch (err) {
    if (err instanceof DnsError && err.isNotFound) return { status: 'none', code: err.code }
    return { status: 'error', code: err instanceof DnsError ? err.code : String(err) }
  }
}
