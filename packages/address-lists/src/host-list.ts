/**
 * qmail's `rcpthosts` format: one host per line; a line starting with a dot (`.example.com`)
 * matches every subdomain of example.com (not example.com itself, as in qmail).
 */
import type { ConfigLine } from '@postern/core'

export class HostList {
  readonly #exact = new Set<string>()
  readonly #suffixes = new Set<string>()

  constructor(hosts: Iterable<string> = []) {
    for (const raw of hosts) {
      const host = raw.trim().split(/\s+/)[0]?.toLowerCase()
      if (!host) continue
      if (host.startsWith('.') && host.length > 1) this.#suffixes.add(host)
      else this.#exact.add(host)
    }
  }

  static parse(lines: readonly ConfigLine[]): HostList {
    return new HostList(lines.map((l) => l.value))
  }

  get size(): number {
    return this.#exact.size + this.#suffixes.size
  }

  /** The entry that matched (`example.com` or `.example.com`), or undefined. */
  match(host: string): string | undefined {
    const h = host.toLowerCase()
    if (this.#exact.has(h)) return h
    for (const suffix of suffixesOf(h)) if (this.#suffixes.has(suffix)) return suffix
    return undefined
  }

  has(host: string): boolean {
    return this.match(host) !== undefined
  }
}

/** `a.b.example.com` → `.b.example.com`, `.example.com`, `.com`: the keys qmail looks up. */
export function suffixesOf(host: string): string[] {
  const out: string[] = []
  for (let i = host.indexOf('.'); i >= 0; i = host.indexOf('.', i + 1)) out.push(host.slice(i))
  return out
}
