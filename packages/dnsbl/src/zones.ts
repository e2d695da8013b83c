/**
 * `config/dnsbl_zones`, one list per line:
 *
 *     zen.example                              any 127.x answer lists; the TXT record is the reply
 *     zen.example 127.0.0.2,127.0.0.3          only these answers list (return-code filter)
 *     pbl.example 127.0.0.10-127.0.0.11 Dynamic address %IP%, see https://pbl.example/%IP%
 *     rbl.example You are listed at rbl.example, see https://rbl.example/?%IP%
 *     rbl.example:You are listed ...           qpsmtpd's older colon form
 *
 * A filter is a comma list of addresses, `a-b` ranges and CIDR blocks inside 127.0.0.0/8
 * (@postern/dns-lists reads it).
 */
import type { BlockList } from 'node:net'
import type { ConfigLine } from '@postern/core'
import { isCodeFilter, parseCodeFilter, parseZoneName } from '@postern/dns-lists'

export interface Zone {
  /** The list's DNS zone, lower case, no trailing dot. */
  readonly name: string
  /** Answers that count as a listing; undefined: any 127.0.0.0/8 answer but 127.255.255.x. */
  readonly codes: BlockList | undefined
  /** The filter as written, for logs. */
  readonly codesText: string | undefined
  /** The reply text with `%IP%` and `%ZONE%` placeholders; undefined: use the TXT record. */
  readonly message: string | undefined
}

export function parseZoneLine(where: ConfigLine): Zone {
  let text = where.value.trim()
  let message: string | undefined
  const first = text.split(/\s/, 1)[0]!
  const colon = first.indexOf(':')
  if (colon > 0) {
    // qpsmtpd's `zone:message`: the message may contain spaces and further colons.
    message = text.slice(colon + 1).trim() || undefined
    text = first.slice(0, colon)
  }
  const [zoneWord, ...rest] = text.split(/\s+/)
  const name = parseZoneName(zoneWord, where)
  let codes: BlockList | undefined
  let codesText: string | undefined
  if (isCodeFilter(rest[0])) {
    codesText = rest.shift()!
    codes = parseCodeFilter(codesText, where)
  }
  if (message === undefined && rest.length) message = rest.join(' ')
  return { name, codes, codesText, message }
}

/** Parses the file; a zone listed twice keeps its first line. */
export function parseZones(lines: readonly ConfigLine[]): Zone[] {
  const seen = new Set<string>()
  const zones: Zone[] = []
  for (const line of lines) {
    const zone = parseZoneLine(line)
    if (seen.has(zone.name)) continue
    seen.add(zone.name)
    zones.push(zone)
  }
  return zones
}
