/**
 * Domains against the zones: every (domain, zone) A query starts at once; the answers are read
 * in order (sender domain first, then HELO; zones in config order) so the reply does not depend
 * on which server answered first. The TXT record is asked only for a listing.
 */
import { BlockList } from 'node:net'
import { DnsError, type DnsResolver } from '@postern/core'
import type { Zone } from './zones.js'

export type Role = 'sender' | 'helo'

export type DomainAnswer =
  | {
      readonly domain: string
      readonly role: Role
      readonly zone: Zone
      readonly status: 'listed'
      readonly codes: string[]
      readonly text: string | undefined
    }
  | { readonly domain: string; readonly role: Role; readonly zone: Zone; readonly status: 'clear' }
  | {
      readonly domain: string
      readonly role: Role
      readonly zone: Zone
      readonly status: 'error'
      readonly code: string
    }

export type Listed = Extract<DomainAnswer, { status: 'listed' }>
export type Failed = Extract<DomainAnswer, { status: 'error' }>

export interface DomainCheck {
  readonly listed: Listed | undefined
  readonly errors: readonly Failed[]
  readonly answers: readonly DomainAnswer[]
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

async function lookup(dns: DnsResolver, domain: string, role: Role, zone: Zone): Promise<DomainAnswer> {
  const name = `${domain}.${zone.name}`
  // A name past DNS's 253 characters cannot be listed; asking would only earn an error.
  if (name.length > 253) return { domain, role, zone, status: 'clear' }
  try {
    const hits = (await dns.resolve4(name)).filter((c) => isListing(zone, c))
    if (!hits.length) return { domain, role, zone, status: 'clear' }
    let text: string | undefined
    if (zone.message === undefined) text = (await dns.resolveTxt(name).catch(() => [])).join(' ') || undefined
    return { domain, role, zone, status: 'listed', codes: hits, text }
  } catch (err) {
    if (err instanceof DnsError && err.isNotFound) return { domain, role, zone, status: 'clear' }
    return { domain, role, zone, status: 'error', code: err instanceof DnsError ? err.code : String(err) }
  }
}

export async function checkDomains(
  dns: DnsResolver,
  domains: readonly { domain: string; role: Role }[],
  zones: readonly Zone[],
): Promise<DomainCheck> {
  const answers = await Promise.all(
    domains.flatMap((d) => zones.map((z) => lookup(dns, d.domain, d.role, z))),
  )
  return {
    listed: answers.find((a): a is Listed => a.status === 'listed'),
    errors: answers.filter((a): a is Failed => a.status === 'error'),
    answers,
  }
}
