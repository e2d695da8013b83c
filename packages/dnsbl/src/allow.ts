/**
 * `config/dnsbl_allow`: clients never looked up. One entry a line: an address (`192.0.2.1`,
 * `2001:db8::1`), a CIDR block (`198.51.100.0/24`, `2001:db8::/32`) or qpsmtpd's prefix form
 * ending in a dot or colon (`172.16.33.`, `2001:db8:`).
 */
import { BlockList, isIP } from 'node:net'
import { ConfigError, type ConfigLine } from '@postern/core'

export interface AllowList {
  has(ip: string): boolean
}

export function parseAllow(lines: readonly ConfigLine[]): AllowList {
  const blocks = new BlockList()
  const prefixes: string[] = []
  for (const where of lines) {
    const entry = where.value.trim().split(/\s+/, 1)[0]!.toLowerCase()
    const cidr = /^([0-9a-f.:]+)\/(\d{1,3})$/.exec(entry)
    const family = isIP(cidr ? cidr[1]! : entry)
    if (cidr && family && Number(cidr[2]) <= (family === 4 ? 32 : 128))
      blocks.addSubnet(cidr[1]!, Number(cidr[2]), family === 4 ? 'ipv4' : 'ipv6')
    else if (!cidr && family) blocks.addAddress(entry, family === 4 ? 'ipv4' : 'ipv6')
    else if (/^[0-9.]+\.$|^[0-9a-f:]+:$/.test(entry)) prefixes.push(entry)
    else throw new ConfigError(`bad address ${JSON.stringify(entry)}`, where.file, where.line)
  }
  return {
    has(ip) {
      const family = isIP(ip)
      if (!family) return false
      if (blocks.check(ip, family === 4 ? 'ipv4' : 'ipv6')) return true
      const lower = ip.toLowerCase()
      return prefixes.some((p) => lower.startsWith(p))
    },
  }
}
