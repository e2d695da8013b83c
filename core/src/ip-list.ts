/**
 * A list of IP addresses and CIDR networks (IPv4 and IPv6) that says which entry a client falls
 * in. Built on node:net's BlockList, so IPv6 spellings (`::1`, `0:0:0:0:0:0:0:1`) compare equal;
 * clients are compared as plainIp() spells them, so `::ffff:192.0.2.1` matches IPv4 entries.
 */
import { BlockList, isIP } from 'node:net'
import { ConfigError, type ConfigLine } from './config-dir.js'

export type IpFamily = 'ipv4' | 'ipv6'

/** One address or network. */
export interface IpNetwork {
  /** As written: `192.0.2.0/24`, `2001:db8::/32`, `198.51.100.7`. */
  readonly text: string
  readonly address: string
  /** Absent for a single address. */
  readonly prefix?: number
  readonly family: IpFamily
}

/**
 * What a client IP is compared as: brackets, an `IPv6:` tag and a zone id stripped, an
 * IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) made plain IPv4, lower case.
 */
export function plainIp(ip: string): string {
  let s = ip.trim()
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1)
  if (/^ipv6:/i.test(s)) s = s.slice(5)
  const zone = s.indexOf('%')
  if (zone >= 0) s = s.slice(0, zone)
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(s)
  return (mapped ? mapped[1]! : s).toLowerCase()
}

/** `ipv4`, `ipv6`, or undefined for something that is not an IP address. */
export function ipFamily(ip: string): IpFamily | undefined {
  const v = isIP(ip)
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined
}

/**
 * Parses `IP` or `IP/prefix`. Returns an error message (not a throw) for anything else, so a
 * config parser can wrap it in a ConfigError with file and line.
 */
export function parseIpNetwork(text: string): IpNetwork | string {
  const t = text.trim()
  const [address = '', bits, ...rest] = t.split('/')
  const family = ipFamily(address)
  if (!family || rest.length) return `not an IP address or CIDR network: ${t}`
  if (bits === undefined) return { text: t, address, family }
  const max = family === 'ipv4' ? 32 : 128
  const prefix = Number(bits)
  if (!/^\d{1,3}$/.test(bits) || prefix > max) return `bad prefix length /${bits} in ${t} (0-${max})`
  return { text: t, address, prefix, family }
}

function addTo(list: BlockList, e: IpNetwork): void {
  if (e.prefix === undefined) list.addAddress(e.address, e.family)
  else list.addSubnet(e.address, e.prefix, e.family)
}

/**
 * Entries keep their order (and any extra fields, such as the file line they came from), so a
 * match can name the entry in the log. One BlockList over all entries answers "no" quickly.
 */
export class IpList<E extends IpNetwork = IpNetwork> {
  readonly #all = new BlockList()
  readonly #entries: { entry: E; list: BlockList }[] = []

  constructor(entries: Iterable<E> = []) {
    for (const e of entries) this.add(e)
  }

  add(entry: E): void {
    const list = new BlockList()
    addTo(list, entry)
    addTo(this.#all, entry)
    this.#entries.push({ entry, list })
  }

  get size(): number {
    return this.#entries.length
  }

  /** The first entry containing `ip`, or undefined (also for something that is not an IP). */
  match(ip: string): E | undefined {
    const client = plainIp(ip)
    const family = ipFamily(client)
    if (!family || !this.#all.check(client, family)) return undefined
    // A hit is rare (lists are exceptions), so finding which entry it was may walk the list.
    return this.#entries.find((e) => e.list.check(client, family))?.entry
  }

  has(ip: string): boolean {
    return this.match(ip) !== undefined
  }
}

export interface IpListFromLinesOptions {
  /** Entries before the file's (for example from the plugin's arguments). */
  initial?: Iterable<IpNetwork>
  /** The error message for a bad entry (default: parseIpNetwork's). */
  message?: (entry: string, why: string) => string
}

/**
 * A list file of addresses and networks, one a line: the first word of each line is the entry
 * (the rest is a comment or reason). A bad entry is a ConfigError naming its file and line.
 */
export function ipListFromLines(lines: readonly ConfigLine[], options: IpListFromLinesOptions = {}): IpList {
  const list = new IpList(options.initial)
  for (const line of lines) {
    const entry = line.value.trim().split(/\s+/, 1)[0]!
    const network = parseIpNetwork(entry)
    if (typeof network === 'string')
      throw new ConfigError(options.message ? options.message(entry, network) : network, line.file, line.line)
    list.add(network)
  }
  return list
}
