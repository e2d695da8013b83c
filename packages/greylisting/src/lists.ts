/**
 * The exclusion and opt-in lists, one entry per line:
 *
 * - addresses (`greylist_exclude_senders`, `greylist_exclude_recipients`, `greylist_recipients`):
 *   `user@example.com` (that address), `@example.com` (anyone at that domain), `example.com`
 *   (that domain and its subdomains);
 * - host names (`greylist_exclude_rdns`): `mx.example.net` (that host), `example.net` also
 *   covers its subdomains.
 *
 * Matching is case-insensitive. Entries go into Sets, never object keys: they are matched
 * against client input.
 */
import type { Address } from '@postern/core'

/** `a.b.example.com` → `a.b.example.com`, `b.example.com`, `example.com`, `com`. */
function suffixes(domain: string): string[] {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.')
  return labels.map((_, i) => labels.slice(i).join('.'))
}

export class HostList {
  readonly #domains = new Set<string>()

  constructor(entries: Iterable<string>) {
    for (const e of entries) this.#domains.add(e.toLowerCase().replace(/^\./, '').replace(/\.$/, ''))
  }

  get size(): number {
    return this.#domains.size
  }

  matches(host: string | undefined): boolean {
    if (!host || !this.#domains.size) return false
    return suffixes(host).some((s) => this.#domains.has(s))
  }
}

export class AddressList {
  readonly #addresses = new Set<string>()
  readonly #atDomains = new Set<string>()
  readonly #domains: HostList

  constructor(entries: Iterable<string>) {
    const domains: string[] = []
    for (const raw of entries) {
      const e = raw.toLowerCase()
      if (e.startsWith('@')) this.#atDomains.add(e.slice(1))
      else if (e.includes('@')) this.#addresses.add(e)
      else domains.push(e)
    }
    this.#domains = new HostList(domains)
  }

  get size(): number {
    return this.#addresses.size + this.#atDomains.size + this.#domains.size
  }

  matches(address: Address | undefined): boolean {
    if (!address || address.isNull) return false
    const host = address.host.toLowerCase()
    return (
      this.#addresses.has(address.address.toLowerCase()) ||
      this.#atDomains.has(host) ||
      this.#domains.matches(host)
    )
  }
}
