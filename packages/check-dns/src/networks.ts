/**
 * `config/invalid_resolvable_fromhost`: networks a sender domain must not resolve only into.
 * One entry a line: `10.0.0.0/8`, `fc00::/7` or a single address. qpsmtpd read IPv4 CIDR only;
 * IPv6 and single addresses are accepted too. Without the file, the defaults below apply
 * (an empty file means "no invalid networks"). Parsing and matching are core's IpList.
 */
import { type ConfigLine, IpList, type IpNetwork, ipListFromLines, parseIpNetwork } from '@postern/core'

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

/** What resolveDomain asks of the list (core's IpList is one). */
export interface Networks {
  has(ip: string): boolean
  readonly size: number
}

export function parseNetworks(lines: readonly ConfigLine[]): Networks {
  // This plugin's message since its first release, not core's wording.
  return ipListFromLines(lines, { message: (entry) => `bad network ${JSON.stringify(entry)}` })
}

export function defaultNetworks(): Networks {
  return new IpList(
    DEFAULT_INVALID_NETWORKS.map((text): IpNetwork => {
      const network = parseIpNetwork(text)
      if (typeof network === 'string') throw new Error(network) // a typo above; the tests load these
      return network
    }),
  )
}
