/**
 * Domains against the zones: every (domain, zone) A query starts at once; the answers are read
 * in order (sender domain first, then HELO; zones in config order) so the reply does not depend
 * on which server answered first. The TXT record is asked only for a listing.
 */
import type { DnsResolver } from '@postern/core'
import { queryList, ZONE_SKIPPED, type ZoneBreakers } from '@postern/dns-lists'
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

/** Asks `<domain>.<zone>`; `breakers` may skip a zone that has stopped answering. */
async function lookup(
  dns: DnsResolver,
  domain: string,
  role: Role,
  zone: Zone,
  breakers: ZoneBreakers | undefined,
): Promise<DomainAnswer> {
  const name = `${domain}.${zone.name}`
  // A name past DNS's 253 characters cannot be listed; asking would only earn an error. Nor is
  // it news about the zone, so the breaker does not see it.
  if (name.length > 253) return { domain, role, zone, status: 'clear' }
  const ask = async (): Promise<DomainAnswer> => {
    // A zone with its own message needs no TXT record.
    const answer = await queryList(dns, name, zone.codes, zone.message === undefined)
    // Answers that are not listings (a list's "query refused" code) count as not listed here.
    if (answer.status === 'odd') return { domain, role, zone, status: 'clear' }
    return { domain, role, zone, ...answer }
  }
  if (!breakers) return ask()
  return (
    (await breakers.ask(zone.name, name, ask)) ?? { domain, role, zone, status: 'error', code: ZONE_SKIPPED }
  )
}

/**
 * With `breakers`, a zone that has stopped answering is not asked: its answers are errors with
 * code `ZONE_SKIPPED`, so the plugin's `dns_error` policy applies to them as to any failed lookup.
 */
export async function checkDomains(
  dns: DnsResolver,
  domains: readonly { domain: string; role: Role }[],
  zones: readonly Zone[],
  breakers?: ZoneBreakers,
): Promise<DomainCheck> {
  const answers = await Promise.all(
    domains.flatMap((d) => zones.map((z) => lookup(dns, d.domain, d.role, z, breakers))),
  )
  return {
    listed: answers.find((a): a is Listed => a.status === 'listed'),
    errors: answers.filter((a): a is Failed => a.status === 'error'),
    answers,
  }
}
