/**
 * A set of IPs and CIDR networks (IPv4 and IPv6) built on node's BlockList, answering which
 * entry a client falls in. IPv4-mapped IPv6 clients (`::ffff:192.0.2.1`) match IPv4 entries.
 */
import { BlockList, isIP } from 'node:net'

type Family = 'ipv4' | 'ipv6'

export interface CidrEntry {
  /** As written: `192.0.2.0/24`, `2001:db8::/32`, `198.51.100.7`. */
  readonly text: string
  readonly address: string
  /** Absent for a single address. */
  readonly prefix?: number
  readonly family: Family
}

/** Parses `IP` or `IP/prefix`; returns an error message for anything else. */
export function parseCidr(text: string): CidrEntry | string {
  const t = text.trim()
  const [address = '', bits, ...rest] = t.split('/')
  const v = isIP(address)
  if (!v || rest.length) return `not an IP address or CIDR network: ${t}`
  const family: Family = v === 4 ? 'ipv4' : 'ipv6'
  if (bits === undefined) return { text: t, address, family }
  const max = v === 4 ? 32 : 128
  const prefix = Number(bits)
  if (!/^\d{1,3}$/.test(bits) || prefix > max) return `bad prefix length /${bits} in ${t} (0-${max})`
  return { text: t, address, prefix, family }
}

function addTo(list: BlockList, e: CidrEntry): void {
  if (e.prefix === undefined) list.addAddress(e.address, e.family)
  else list.addSubnet(e.address, e.prefix, e.family)
}

export class CidrSet {
  readonly #all = new BlockList()
  readonly #entries: { entry: CidrEntry; list: BlockList }[] = []

  constructor(entries: Iterable<CidrEntry> = []) {
    for (const e of entries) this.add(e)
  }

  add(entry: CidrEntry): void {
    const list = new BlockList()
    addTo(list, entry)
    addTo(this.#all, entry)
    this.#entries.push({ entry, list })
  }

  get size(): number {
    return this.#entries.length
  }

  /** The first entry containing `ip`, or undefined (also for something that is not an IP). */
  match(ip: string): CidrEntry | undefined {
    const client = unmap(ip.trim())
    const v = isIP(client)
    if (!v) return undefined
    const family: Family = v === 4 ? 'ipv4' : 'ipv6'
    if (!this.#all.check(client, family)) return undefined
    // A hit is rare (these are exceptions), so finding which entry it was may walk the list.
    return this.#entries.find((e) => e.list.check(client, family))?.entry
  }
}

function unmap(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  return m ? m[1]! : ip
}
