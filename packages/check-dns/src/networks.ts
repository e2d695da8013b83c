/**
 * `config/invalid_resolvable_fromhost`: networks a sender domain must not resolve only into.
 * One entry a line: `10.0.0.0/8`, `fc00::/7` or a single address. qpsmtpd read IPv4 CIDR only;
 * IPv6 and single addresses are accepted too. Without the file, the defaults below apply
 * (an empty file means "no invalid networks").
 */
import { BlockList, isIP } from 'node:net'
import { ConfigError, type ConfigLine } from '@postern/core'

/** Networks no public sender domain should resolve into. */
export const DEFAULT_INVALID_NETWORKS = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
] as const

export interface Networks {
  has(ip: string): boolean
  readonly size: number
}

function add(list: BlockList, entry: string): boolean {
  const cidr = /^([0-9a-fA-F.:]+)\/(\d{1,3})$/.exec(entry)
  const ip = cidr ? cidr[1]! : entry
  const family = isIP(ip)
  if (!family) return false
  const type = family === 4 ? 'ipv4' : 'ipv6'
  if (!cidr) list.addAddress(ip, type)
  else if (Number(cidr[2]) <= (family === 4 ? 32 : 128)) list.addSubnet(ip, Number(cidr[2]), type)
  else return false
  return true
}

export function parseNetworks(lines: readonly ConfigLine[]): Networks {
  const list = new BlockList()
  for (const where of lines) {
    const entry = where.value.trim().split(/\s+/, 1)[0]!
    if (!add(list, entry))
      throw new ConfigError(`bad network ${JSON.stringify(entry)}`, where.file, where.line)
  }
  return networks(list, lines.length)
}

export function defaultNetworks(): Networks {
  const list = new BlockList()
  for (const entry of DEFAULT_INVALID_NETWORKS) add(list, entry)
  return networks(list, DEFAULT_INVALID_NETWORKS.length)
}

function networks(list: BlockList, size: number): Networks {
  return {
    size,
    has(ip) {
      const family = isIP(ip)
      return family !== 0 && list.check(ip, family === 4 ? 'ipv4' : 'ipv6')
    },
  }
}
