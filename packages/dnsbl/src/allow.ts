/**
 * `config/dnsbl_allow`: clients never looked up. One entry a line: an address (`192.0.2.1`,
 * `2001:db8::1`), a CIDR block (`198.51.100.0/24`, `2001:db8::/32`) or qpsmtpd's prefix form
 * ending in a dot or colon (`172.16.33.`, `2001:db8:`). Addresses and blocks are core's IpList;
 * the prefix form is text, matched against the start of the client's address.
 */
import { ConfigError, type ConfigLine, IpList, ipFamily, parseIpNetwork, plainIp } from '@postern/core'

export interface AllowList {
  has(ip: string): boolean
}

/** qpsmtpd's prefix form (`172.16.33.`, `2001:db8:`): what is no address or network but ends like one. */
const PREFIX = /^[0-9.]+\.$|^[0-9a-f:]+:$/

export function parseAllow(lines: readonly ConfigLine[]): AllowList {
  const networks = new IpList()
  const prefixes: string[] = []
  for (const where of lines) {
    const entry = where.value.trim().split(/\s+/, 1)[0]!.toLowerCase()
    const network = parseIpNetwork(entry)
    if (typeof network !== 'string') networks.add(network)
    else if (PREFIX.test(entry)) prefixes.push(entry)
    else throw new ConfigError(`bad address ${JSON.stringify(entry)}`, where.file, where.line)
  }
  return {
    has(ip) {
      if (networks.has(ip)) return true
      // Spelled as IpList compares clients, so both halves of the list see the same address.
      const client = plainIp(ip)
      return ipFamily(client) !== undefined && prefixes.some((p) => client.startsWith(p))
    },
  }
}
