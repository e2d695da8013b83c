/**
 * `config/nodialup_exceptions`: clients never refused. One entry a line: an address
 * (`192.0.2.7`), a CIDR block (`198.51.100.0/24`, `2001:db8::/32`), a host name
 * (`mail.example.net`, matched against the reverse DNS name) or a domain with a leading dot
 * (`.example.net`, any name under it).
 */
import { BlockList, isIP } from 'node:net'
import { ConfigError, type ConfigLine, isValidDomain } from '@postern/core'

export interface Exceptions {
  hasIp(ip: string): boolean
  hasName(name: string): boolean
}

export function parseExceptions(lines: readonly ConfigLine[]): Exceptions {
  const blocks = new BlockList()
  const names = new Set<string>()
  const suffixes: string[] = []
  for (const where of lines) {
    const entry = where.value.trim().split(/\s+/, 1)[0]!.toLowerCase().replace(/\.$/, '')
    const cidr = /^([0-9a-f.:]+)\/(\d{1,3})$/.exec(entry)
    const family = isIP(cidr ? cidr[1]! : entry)
    if (family && cidr && Number(cidr[2]) <= (family === 4 ? 32 : 128))
      blocks.addSubnet(cidr[1]!, Number(cidr[2]), family === 4 ? 'ipv4' : 'ipv6')
    else if (family && !cidr) blocks.addAddress(entry, family === 4 ? 'ipv4' : 'ipv6')
    else if (entry.startsWith('.') && isValidDomain(entry.slice(1))) suffixes.push(entry)
    else if (!cidr && isValidDomain(entry)) names.add(entry)
    else throw new ConfigError(`bad exception ${JSON.stringify(entry)}`, where.file, where.line)
  }
  return {
    hasIp(ip) {
      const family = isIP(ip)
      return family !== 0 && blocks.check(ip, family === 4 ? 'ipv4' : 'ipv6')
    },
    hasName(name) {
      const n = name.toLowerCase().replace(/\.$/, '')
      return names.has(n) || suffixes.some((s) => n.endsWith(s))
    },
  }
}
