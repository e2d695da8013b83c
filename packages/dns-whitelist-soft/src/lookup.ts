/**
 * The client IP against the allowlists, every zone at once; the first listing in config order
 * wins. Being whitelisted by mistake lets spam past every later filter, so an answer that is
 * not clearly a listing (a list's "query refused" code, an address outside 127/8) never counts.
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
  | { readonly zone: Zone; readonly status: 'odd'; readonly codes: string[] }
  | { readonly zone: Zone; readonly status: 'error'; readonly code: string }

export type Listed = Extract<ZoneAnswer, { status: 'listed' }>

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
// "Query refused / over quota" answers: 127.255.255.x (most lists), 127.0.0.255 (dnswl.org).
const LIST_ERRORS = new BlockList()
LIST_ERRORS.addSubnet('127.255.255.0', 24, 'ipv4')
LIST_ERRORS.addAddress('127.0.0.255', 'ipv4')

export async function lookupZone(dns: DnsResolver, ip: string, zone: Zone): Promise<ZoneAnswer> {
  const name = `${reverseIp(ip)}.${zone.name}`
  let codes: string[]
  try {
    codes = await dns.resolve4(name)
  } catch (err) {
    if (err instanceof DnsError && err.isNotFound) return { zone, status: 'clear' }
    return { zone, status: 'error', code: err instanceof DnsError ? err.code : String(err) }
  }
  const valid = codes.filter((c) => LOOPBACK.check(c, 'ipv4') && !LIST_ERRORS.check(c, 'ipv4'))
  const hits = valid.filter((c) => !zone.codes || zone.codes.check(c, 'ipv4'))
  if (hits.length) {
    const text = (await dns.resolveTxt(name).catch(() => [])).join(' ') || undefined
    return { zone, status: 'listed', codes: hits, text }
  }
  const odd = codes.filter((c) => !valid.includes(c))
  return odd.length ? { zone, status: 'odd', codes: odd } : { zone, status: 'clear' }
}

export async function checkIp(dns: DnsResolver, ip: string, zones: readonly Zone[]): Promise<ZoneAnswer[]> {
  return Promise.all(zones.map((z) => lookupZone(dns, ip, z)))
}
