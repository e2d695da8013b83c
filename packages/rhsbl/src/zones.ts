/**
 * `config/rhsbl_zones`, one list per line (qpsmtpd's format, plus return-code filters):
 *
 *     dbl.example                                  any 127.x answer lists; TXT is the reply
 *     dbl.example 127.0.1.2-127.0.1.99             only these answers list
 *     dsn.example does not accept bounces.         qpsmtpd: "Mail from D rejected because it …"
 *     dbl.example %DOMAIN% is listed in %ZONE%     a message with placeholders is used as written
 *
 * A filter is a comma list of addresses, `a-b` ranges and CIDR blocks inside 127.0.0.0/8.
 */
import { BlockList, isIP } from 'node:net'
import { ConfigError, type ConfigLine, isValidDomain } from '@postern/core'

export interface Zone {
  readonly name: string
  /** Answers that count as a listing; undefined: any 127.0.0.0/8 answer but 127.255.255.x. */
  readonly codes: BlockList | undefined
  /** The message as written; undefined: use the TXT record. */
  readonly message: string | undefined
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
    const [zoneWord, ...rest] = where.value.trim().split(/\s+/)
    const name = zoneWord!.toLowerCase().replace(/\.$/, '')
    if (!isValidDomain(name))
      throw new ConfigError(`bad DNS zone ${JSON.stringify(zoneWord)}`, where.file, where.line)
    const codes = rest.length && FILTER_WORD.test(rest[0]!) ? parseFilter(rest.shift()!, where) : undefined
    if (seen.has(name)) continue
    seen.add(name)
    zones.push({ name, codes, message: rest.length ? rest.join(' ') : undefined })
  }
  return zones
}
