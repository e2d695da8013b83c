/**
 * The parts of a DNS list config line that every list plugin reads the same way: the zone name,
 * and the return-code filter (a comma list of addresses, `a-b` ranges and CIDR blocks inside
 * 127.0.0.0/8) saying which answers count as a listing.
 */
import { BlockList, isIP } from 'node:net'
import { ConfigError, type ConfigLine, isValidDomain } from '@postern/core'

const FILTER_WORD = /^[\d./,-]+$/

/** Whether a word after the zone is a return-code filter (rather than the start of a message). */
export function isCodeFilter(word: string | undefined): word is string {
  return word !== undefined && FILTER_WORD.test(word)
}

/** `127.0.0.2,127.0.0.10-127.0.0.11,127.0.1.0/24`; a bad part is a ConfigError at `where`. */
export function parseCodeFilter(text: string, where: ConfigLine): BlockList {
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

/** The zone as written → lower case without a trailing dot; a bad name is a ConfigError. */
export function parseZoneName(word: string | undefined, where: ConfigLine): string {
  const name = (word ?? '').toLowerCase().replace(/\.$/, '')
  if (!isValidDomain(name))
    throw new ConfigError(`bad DNS zone ${JSON.stringify(word)}`, where.file, where.line)
  return name
}
