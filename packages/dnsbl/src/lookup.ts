/**
 * One client IP against the zones: every zone's A query starts at once; the answers are read in
 * config order so the reply does not depend on which server answered first. The TXT record (the
 * list's reply text) is asked only once the A record says "listed": most clients are not, and
 * asking both up front would double the queries for them.
 */
import { type DnsResolver, reverseIp } from '@postern/core'
import { type ListAnswer, queryList } from '@postern/dns-lists'
import type { Zone } from './zones.js'

/**
 * `odd`: the list answered with an address that is not a listing (127.255.255.x "query
 * refused", or an address outside 127/8 from a dead list's wildcard): logged, never a listing.
 */
export type ZoneAnswer = ListAnswer & { readonly zone: Zone }

export interface IpCheck {
  /** The first listing in config order, if any. */
  readonly listed: Extract<ZoneAnswer, { status: 'listed' }> | undefined
  readonly answers: readonly ZoneAnswer[]
  /** Zones whose lookup failed (SERVFAIL, timeout): the verdict is unknown for them. */
  readonly errors: readonly Extract<ZoneAnswer, { status: 'error' }>[]
}

export async function lookupZone(dns: DnsResolver, ip: string, zone: Zone): Promise<ZoneAnswer> {
  // A zone with its own message needs no TXT record.
  const answer = await queryList(dns, `${reverseIp(ip)}.${zone.name}`, zone.codes, zone.message === undefined)
  return { zone, ...answer }
}

export async function checkIp(dns: DnsResolver, ip: string, zones: readonly Zone[]): Promise<IpCheck> {
  const answers = await Promise.all(zones.map((z) => lookupZone(dns, ip, z)))
  const listed = answers.find((a): a is Extract<ZoneAnswer, { status: 'listed' }> => a.status === 'listed')
  const errors = answers.filter((a): a is Extract<ZoneAnswer, { status: 'error' }> => a.status === 'error')
  return { listed, answers, errors }
}
