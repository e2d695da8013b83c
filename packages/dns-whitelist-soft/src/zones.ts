/**
 * `config/whitelist_zones`, one allowlist per line:
 *
 *     wl.example                        any 127.x answer whitelists (but list error codes)
 *     list.dnswl.example 127.0.0.2-127.0.255.254,127.0.10.0/24   only these answers
 *
 * qpsmtpd allowed anything after the zone; words that are not a filter are ignored.
 */
import { BlockList, isIP } from 'node:net'
import { ConfigError, type ConfigLine, isValidDomain } from '@postern/core'

export interface Zone {
  readonly name: string
  readonly codes: BlockList | undefined
}

const FILTER_WORD = /^[\d./,-]+$/

function parseFilter(text: string, where: ConfigLine): BlockList {
  const list = new BlockList()
  for (const part of text.split(',')) {
    const bad = () =>
      new ConfigError(`bad return-code filter ${JSON.stringify(part)}`, where.file, where.line)
    const range = /^([\d.]+)-([\d.]+)$/.exec(part)
    const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(part)
    if (range) {
      if (isIP(range[1]!) !== 4 || isIP(range[2]!) !== 4) throw bad()
      list.addRange(range[1]!, range[2]!, 'ipv4')
    } else if (cidr) {
      if (isIP(cidr[1]!) !== 4 || Number(cidr[2]) > 32) throw bad()
      list.addSubnet(cidr[1]!, Number(cidr[2]), 'ipv4')
    } else if (isIP(part) === 4) list.addAddress(part, 'ipv4')
    else throw bad()
  }
  return list
}

export function parseZones(lines: readonly ConfigLine[]): Zone[] {
  const seen = new Set<string>()
  const zones: Zone[] = []
  for (const where of lines) {
    const [zoneWord, filter] = where.value.trim().split(/\s+/)
    const name = zoneWord!.toLowerCase().replace(/\.$/, '')
    if (!isValidDomain(name))
      throw new ConfigError(`bad DNS zone ${JSON.stringify(zoneWord)}`, where.file, where.line)
    if (seen.has(name)) continue
    seen.add(name)
    zones.push({ name, codes: filter && FILTER_WORD.test(filter) ? parseFilter(filter, where) : undefined })
  }
  return zones
}
