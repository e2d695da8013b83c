/**
 * `config/whitelist_zones`, one allowlist per line:
 *
 *     wl.example                        any 127.x answer whitelists (but list error codes)
 *     list.dnswl.example 127.0.0.2-127.0.255.254,127.0.10.0/24   only these answers
 *
 * qpsmtpd allowed anything after the zone; words that are not a filter are ignored.
 */
import type { BlockList } from 'node:net'
import type { ConfigLine } from '@postern/core'
import { isCodeFilter, parseCodeFilter, parseZoneName } from '@postern/dns-lists'

export interface Zone {
  readonly name: string
  readonly codes: BlockList | undefined
}

export function parseZones(lines: readonly ConfigLine[]): Zone[] {
  const seen = new Set<string>()
  const zones: Zone[] = []
  for (const where of lines) {
    const [zoneWord, filter] = where.value.trim().split(/\s+/)
    const name = parseZoneName(zoneWord, where)
    if (seen.has(name)) continue
    seen.add(name)
    zones.push({ name, codes: isCodeFilter(filter) ? parseCodeFilter(filter, where) : undefined })
  }
  return zones
}
