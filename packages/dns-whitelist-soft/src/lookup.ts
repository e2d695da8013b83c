/**
 * The client IP against the allowlists, every zone at once; the first listing in config order
 * wins. Being whitelisted by mistake lets spam past every later filter, so an answer that is
 * not clearly a listing (a list's "query refused" code, an address outside 127/8) never counts.
 */
import { type DnsResolver, reverseIp } from '@postern/core'
import { type ListAnswer, queryList } from '@postern/dns-lists'
import type { Zone } from './zones.js'

export type ZoneAnswer = ListAnswer & { readonly zone: Zone }

export type Listed = Extract<ZoneAnswer, { status: 'listed' }>

export async function lookupZone(dns: DnsResolver, ip: string, zone: Zone): Promise<ZoneAnswer> {
  return { zone, ...(await queryList(dns, `${reverseIp(ip)}.${zone.name}`, zone.codes, true)) }
}

export async function checkIp(dns: DnsResolver, ip: string, zones: readonly Zone[]): Promise<ZoneAnswer[]> {
  return Promise.all(zones.map((z) => lookupZone(dns, ip, z)))
}
