/**
 * `config/rhsbl_zones`, one list per line (qpsmtpd's format, plus return-code filters):
 *
 *     dbl.example                                  any 127.x answer lists; TXT is the reply
 *     dbl.example 127.0.1.2-127.0.1.99             only these answers list
 *     dsn.example does not accept bounces.         qpsmtpd: "Mail from D rejected because it …"
 *     dbl.example %DOMAIN% is listed in %ZONE%     a message with placeholders is used as written
 *
 * A filter is a comma list of addresses, `a-b` ranges and CIDR blocks inside 127.0.0.0/8
 * (@postern/dns-lists reads it).
 */
import type { BlockList } from 'node:net'
import type { ConfigLine } from '@postern/core'
import { isCodeFilter, parseCodeFilter, parseZoneName } from '@postern/dns-lists'

export interface Zone {
  readonly name: string
  /** Answers that count as a listing; undefined: any 127.0.0.0/8 answer but 127.255.255.x. */
  readonly codes: BlockList | undefined
  /** The message as written; undefined: use the TXT record. */
  readonly message: string | undefined
}

export function parseZones(lines: readonly ConfigLine[]): Zone[] {
  const seen = new Set<string>()
  const zones: Zone[] = []
  for (const where of lines) {
    const [zoneWord, ...rest] = where.value.trim().split(/\s+/)
    const name = parseZoneName(zoneWord, where)
    const codes = isCodeFilter(rest[0]) ? parseCodeFilter(rest.shift()!, where) : undefined
    if (seen.has(name)) continue
    seen.add(name)
    zones.push({ name, codes, message: rest.length ? rest.join(' ') : undefined })
  }
  return zones
}
