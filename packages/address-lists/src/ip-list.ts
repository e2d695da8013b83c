/**
 * qpsmtpd's client-IP lists (relayclients, norelayclients, whitelisthosts): an exact IPv4 or
 * IPv6 address, a prefix that ends in `.` or `:` (`192.168.42.`, `fdda:b13d:e431:ae06:`) meaning
 * the whole network, or a CIDR block (`10.1.0.0/24`, `fdda:b13d::/64`). Matching uses node:net's
 * BlockList, so IPv6 spellings (`::1`, `0:0:0:0:0:0:0:1`) compare equal and IPv4-mapped client
 * addresses (`::ffff:192.0.2.1`) match IPv4 entries. A line that is none of these is a
 * ConfigError with file and line; words after the first are a comment.
 */
import { BlockList, isIP } from 'node:net'
import { ConfigError, type ConfigLine } from '@postern/core'

export interface IpEntry {
  /** The entry as written. */
  readonly text: string
  readonly file: string
  readonly line: number
  readonly kind: 'address' | 'prefix' | 'cidr'
}

export interface IpListOptions {
  /** Accept CIDR blocks (default true). */
  cidr?: boolean
  /**
   * Accept IPv4 fragments without the final dot (`10.1` for `10.1.`), as qpsmtpd's
   * whitelisthosts did (it matched them as string prefixes; Postern matches whole octets).
   */
  fragments?: boolean
}

type Family = 'ipv4' | 'ipv6'

interface Compiled {
  readonly entry: IpEntry
  readonly list: BlockList
}

/** Strips brackets, a zone id and the IPv4-mapped prefix: what a client IP is compared as. */
export function normalizeIp(ip: string): string {
  let s = ip.trim()
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1)
  if (/^ipv6:/i.test(s)) s = s.slice(5)
  const zone = s.indexOf('%')
  if (zone >= 0) s = s.slice(0, zone)
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(s)
  return (mapped ? mapped[1]! : s).toLowerCase()
}

function family(ip: string): Family | undefined {
  const v = isIP(ip)
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined
}

/** Parses one entry into a BlockList of its own; undefined when it is not an IP entry. */
function compile(
  text: string,
  options: IpListOptions,
): { list: BlockList; kind: IpEntry['kind'] } | undefined {
  const list = new BlockList()
  const exact = normalizeIp(text)
  const exactFamily = family(exact)
  if (exactFamily) {
    list.addAddress(exact, exactFamily)
    return { list, kind: 'address' }
  }
  const slash = text.indexOf('/')
  if (slash > 0) {
    if (options.cidr === false) return undefined
    const net = normalizeIp(text.slice(0, slash))
    const bits = text.slice(slash + 1)
    const f = family(net)
    if (!f || !/^\d{1,3}$/.test(bits)) return undefined
    const prefix = Number(bits)
    if (prefix > (f === 'ipv4' ? 32 : 128)) return undefined
    list.addSubnet(net, prefix, f)
    return { list, kind: 'cidr' }
  }
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){0,2})(\.?)$/.exec(text)
  if (v4 && (v4[2] === '.' || options.fragments)) {
    const octets = v4[1]!.split('.')
    if (octets.some((o) => Number(o) > 255)) return undefined
    const net = [...octets, '0', '0', '0'].slice(0, 4).join('.')
    list.addSubnet(net, octets.length * 8, 'ipv4')
    return { list, kind: 'prefix' }
  }
  const v6 = /^((?:[0-9a-f]{1,4}:){1,7})$/i.exec(text)
  if (v6) {
    const groups = v6[1]!.slice(0, -1).split(':')
    list.addSubnet(`${groups.join(':')}${groups.length < 8 ? '::' : ''}`, groups.length * 16, 'ipv6')
    return { list, kind: 'prefix' }
  }
  return undefined
}

/**
 * Entries are kept one BlockList each, in file order, so a match can name its line in the log.
 * These lists are short (qpsmtpd advises morerelayclients for long ones); a check is ~1 µs.
 */
export class IpList {
  readonly #compiled: Compiled[] = []

  private constructor() {}

  static readonly EMPTY = new IpList()

  /** Throws ConfigError with file and line for a line that is not an IP, prefix or CIDR block. */
  static parse(lines: readonly ConfigLine[], options: IpListOptions = {}): IpList {
    const list = new IpList()
    for (const l of lines) {
      const text = l.value.split(/\s+/)[0]
      if (!text) continue
      const c = compile(text, options)
      if (!c) {
        const what =
          options.cidr === false
            ? 'an IP address or a prefix ending in "." or ":"'
            : 'an IP address, a prefix ending in "." or ":", or a CIDR block'
        throw new ConfigError(`${JSON.stringify(text)} is not ${what}`, l.file, l.line)
      }
      list.#add({ entry: { text, file: l.file, line: l.line, kind: c.kind }, list: c.list })
    }
    return list
  }

  /** Parses plain values (from `user_config` hooks); bad lines are reported and skipped. */
  static parseValues(
    values: readonly string[],
    source: string,
    options: IpListOptions = {},
    onError?: (err: Error) => void,
  ): IpList {
    const out = new IpList()
    values.forEach((value, i) => {
      try {
        for (const c of IpList.parse([{ value, file: source, line: i + 1 }], options).#compiled) out.#add(c)
      } catch (err) {
        onError?.(err as Error)
      }
    })
    return out
  }

  #add(c: Compiled): void {
    this.#compiled.push(c)
  }

  get size(): number {
    return this.#compiled.length
  }

  /** The first entry (in file order) that covers the IP, or undefined. */
  match(ip: string): IpEntry | undefined {
    const addr = normalizeIp(ip)
    const f = family(addr)
    if (!f) return undefined
    for (const c of this.#compiled) if (c.list.check(addr, f)) return c.entry
    return undefined
  }

  has(ip: string): boolean {
    return this.match(ip) !== undefined
  }
}
