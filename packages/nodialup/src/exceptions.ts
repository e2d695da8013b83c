/**
 * `config/nodialup_exceptions`: clients never refused. One entry a line: an address
 * (`192.0.2.7`), a CIDR block (`198.51.100.0/24`, `2001:db8::/32`), a host name
 * (`mail.example.net`, matched against the reverse DNS name) or a domain with a leading dot
 * (`.example.net`, any name under it). Addresses and blocks are core's IpList.
 */
import { ConfigError, type ConfigLine, IpList, isValidDomain, parseIpNetwork } from '@postern/core'

export interface Exceptions {
  hasIp(ip: string): boolean
  hasName(name: string): boolean
}

export function parseExceptions(lines: readonly ConfigLine[]): Exceptions {
  const networks = new IpList()
  const names = new Set<string>()
  const suffixes: string[] = []
  for (const where of lines) {
    const entry = where.value.trim().split(/\s+/, 1)[0]!.toLowerCase().replace(/\.$/, '')
    const network = parseIpNetwork(entry)
    if (typeof network !== 'string') networks.add(network)
    else if (entry.startsWith('.') && isValidDomain(entry.slice(1))) suffixes.push(entry)
    else if (isValidDomain(entry)) names.add(entry)
    else throw new ConfigError(`bad exception ${JSON.stringify(entry)}`, where.file, where.line)
  }
  return {
    hasIp: (ip) => networks.has(ip),
    hasName(name) {
      const n = name.toLowerCase().replace(/\.$/, '')
      return names.has(n) || suffixes.some((s) => n.endsWith(s))
    },
  }
}
