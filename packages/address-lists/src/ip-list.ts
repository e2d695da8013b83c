/**
 * qpsmtpd's client-IP lists (relayclients, norelayclients, whitelisthosts): an exact IPv4 or
 * IPv6 address, a prefix that ends in `.` or `:` (`192.168.42.`, `fdda:b13d:e431:ae06:`) meaning
 * the whole network, or a CIDR block (`10.1.0.0/24`, `fdda:b13d::/64`). Matching uses core's IpList
 * (node:net's BlockList), so IPv6 spellings (`::1`, `0:0:0:0:0:0:0:1`) compare equal and IPv4-mapped client
 * addresses (`::ffff:192.0.2.1`) match IPv4 entries. A line that is none of these is a
 * ConfigError with file and line; words after the first are a comment.
 */
import {
  ConfigError,
  type ConfigLine,
  IpList as CoreIpList,
  type IpFamily,
  type IpNetwork,
  ipFamily,
  plainIp,
} from '@postern/core'

export interface IpEntry extends IpNetwork {
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

/** Strips brackets, a zone id and the IPv4-mapped prefix: what a client IP is compared as. */
export const normalizeIp: (ip: string) => string = plainIp

interface Compiled {
  readonly address: string
  readonly prefix?: number
  readonly family: IpFamily
  readonly kind: IpEntry['kind']
}

/** Parses one entry into the network it covers; undefined when it is not an IP entry. */
function compile(text: string, options: IpListOptions): Compiled | undefined {
  const exact = plainIp(text)
  const exactFamily = ipFamily(exact)
  if (exactFamily) return { address: exact, family: exactFamily, kind: 'address' }
  const slash = text.indexOf('/')
  if (slash > 0) {
    if (options.cidr === false) return undefined
    const net = plainIp(text.slice(0, slash))
    const bits = text.slice(slash + 1)
    const f = ipFamily(net)
    if (!f || !/^\d{1,3}$/.test(bits)) return undefined
    const prefix = Number(bits)
    if (prefix > (f === 'ipv4' ? 32 : 128)) return undefined
    return { address: net, prefix, family: f, kind: 'cidr' }
  }
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){0,2})(\.?)$/.exec(text)
  if (v4 && (v4[2] === '.' || options.fragments)) {
    const octets = v4[1]!.split('.')
    if (octets.some((o) => Number(o) > 255)) return undefined
    const net = [...octets, '0', '0', '0'].slice(0, 4).join('.')
    return { address: net, prefix: octets.length * 8, family: 'ipv4', kind: 'prefix' }
  }
  const v6 = /^((?:[0-9a-f]{1,4}:){1,7})$/i.exec(text)
  if (v6) {
    const groups = v6[1]!.slice(0, -1).split(':')
    const net = `${groups.join(':')}${groups.length < 8 ? '::' : ''}`
    return { address: net, prefix: groups.length * 16, family: 'ipv6', kind: 'prefix' }
  }
  return undefined
}

/** The entry on one line, undefined for an empty line; ConfigError (file, line) for a bad one. */
function entryFor(l: ConfigLine, options: IpListOptions): IpEntry | undefined {
  const text = l.value.split(/\s+/)[0]
  if (!text) return undefined
  const c = compile(text, options)
  if (!c) {
    const what =
      options.cidr === false
        ? 'an IP address or a prefix ending in "." or ":"'
        : 'an IP address, a prefix ending in "." or ":", or a CIDR block'
    throw new ConfigError(`${JSON.stringify(text)} is not ${what}`, l.file, l.line)
  }
  return { ...c, text, file: l.file, line: l.line }
}

/**
 * Entries are kept in file order (core's IpList), so a match can name its line in the log.
 * These lists are short (qpsmtpd advises morerelayclients for long ones); a check is ~1 µs.
 */
export class IpList {
  readonly #list = new CoreIpList<IpEntry>()

  private constructor() {}

  static readonly EMPTY = new IpList()

  /** Throws ConfigError with file and line for a line that is not an IP, prefix or CIDR block. */
  static parse(lines: readonly ConfigLine[], options: IpListOptions = {}): IpList {
    const list = new IpList()
    for (const l of lines) {
      const e = entryFor(l, options)
      if (e) list.#list.add(e)
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
        const e = entryFor({ value, file: source, line: i + 1 }, options)
        if (e) out.#list.add(e)
      } catch (err) {
        onError?.(err as Error)
      }
    })
    return out
  }

  get size(): number {
    return this.#list.size
  }

  /** The first entry (in file order) that covers the IP, or undefined. */
  match(ip: string): IpEntry | undefined {
    return this.#list.match(ip)
  }

  has(ip: string): boolean {
    return this.match(ip) !== undefined
  }
}
