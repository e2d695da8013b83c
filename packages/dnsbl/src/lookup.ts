/**
 * One client IP against the zones: every zone's A query starts at once; the answers are read in
 * config order so the reply does not depend on which server answered first. The TXT record (the
 * list's reply text) is asked only once the A record says "listed": most clients are not, and
 * asking both up front would double the queries for them.
 */
import { BlockList } from 'node:net'
import { DnsError, type DnsResolver, reverseIp } from '@postern/core'
import type { Zone } from './zones.js'

export type ZoneAnswer =
  | {
      readonly zone: Zone
      readonly status: 'listed'
      readonly codes: string[]
      readonly text: string | undefined
    }
  | { readonly zone: Zone; readonly status: 'clear' }
  /**
   * The list answered with an address that is not a listing (127.255.255.x "query refused", or
   * an address outside 127/8 from a dead list's wildcard): logged, never a listing.
   */
  | { readonly zone: Zone; readonly status: 'odd'; readonly codes: string[] }
  | { readonly zone: Zone; readonly status: 'error'; readonly code: string }

export interface IpCheck {
  /** The first listing in config order, if any. */
  readonly listed: Extract<ZoneAnswer, { status: 'listed' }> | undefined
  readonly answers: readonly ZoneAnswer[]
  /** Zones whose lookup failed (SERVFAIL, timeout): the verdict is unknown for them. */
  readonly errors: readonly Extract<ZoneAnswer, { status: 'error' }>[]
}

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
// "Query refused / over quota" answers, never listings: 127.255.255.x (Spamhaus and most
// others), 127.0.0.255 (dnswl.org).
const LIST_ERRORS = new BlockList()
LIST_ERRORS.addSubnet('127.255.255.0', 24, 'ipv4')
LIST_ERRORS.addAddress('127.0.0.255', 'ipv4')

function isListing(zone: Zone, address: string): boolean {
  if (!LOOPBACK.check(address, 'ipv4') || LIST_ERRORS.check(address, 'ipv4')) return false
  return zone.codes ? zone.codes.check(address, 'ipv4') : true
}

async function txt(dns: DnsResolver, name: string): Promise<string | undefined> {
  try {
    return (await dns.resolveTxt(name)).join(' ') || undefined
  } catch {
    return undefined // the reply text is a nicety: a missing TXT falls back to our own text
  }
}

export async function lookupZone(dns: DnsResolver, ip: string, zone: Zone): Promise<ZoneAnswer> {
  const name = `${reverseIp(ip)}.${zone.name}`
  let codes: string[]
  try {
    codes = await dns.resolve4(name)
  } catch (err) {
    if (err instanceof DnsError && err.isNotFound) return { zone, status: 'clear' }
    return { zone, status: 'error', code: err instanceof DnsError ? err.code : String(err) }
  }
  const hits = codes.filter((c) => isListing(zone, c))
  if (hits.length) {
    const text = zone.message === undefined ? await txt(dns, name) : undefined
    return { zone, status: 'listed', codes: hits, text }
  }
  // Answers outside the filter are a real "not listed for this purpose"; others are odd.
  const odd = codes.filter((c) => !LOOPBACK.check(c, 'ipv4') || LIST_ERRORS.check(c, 'ipv4'))
  return odd.length ? { zone, status: 'odd', codes: odd } : { zone, status: 'clear' }
}

export async function checkIp(dns: DnsResolver, ip: string, zones: readonly Zone[]): Promise<IpCheck> {
  const answers = await Promise.all(zones.map((z) => lookupZone(dns, ip, z)))
  const listed = answers.find((a): a is Extract<ZoneAnswer, { status: 'listed' }> => a.status === 'listed')
  const errors = answers.filter((a): a is Extract<ZoneAnswer, { status: 'error' }> => a.status === 'error')
  return { listed, answers, errors }
}
