/**
 * One client IP against the zones: every zone's A query starts at once; the answers are read in
 * config order so the reply does not depend on which server answered first. The TXT record (the
 * list's reply text) is asked only once the A record says "listed": most clients are not, and
 * asking both up front would double the queries for them. So without a deadline a listed client
 * can wait for two lookups in a row (A, then TXT); the `timeout` argument bounds both together.
 */
import { type DnsResolver, reverseIp, withDeadline } from '@postern/core'
import { type ListAnswer, listText, queryList, ZONE_SKIPPED, type ZoneBreakers } from '@postern/dns-lists'
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
  /** Zones whose lookup failed (SERVFAIL, timeout) or was skipped: the verdict is unknown for them. */
  readonly errors: readonly Extract<ZoneAnswer, { status: 'error' }>[]
}

/**
 * Asks one zone. With `deadlineMs`, a zone whose A record has not come by then is an `ETIMEOUT`
 * error (the lookup goes on in the resolver and is cached for the next client), and a TXT record
 * that comes too late leaves the listing without its text (the default reply is used).
 */
export async function lookupZone(
  dns: DnsResolver,
  ip: string,
  zone: Zone,
  deadlineMs?: number,
): Promise<ZoneAnswer> {
  const name = `${reverseIp(ip)}.${zone.name}`
  // A zone with its own message needs no TXT record.
  const wantText = zone.message === undefined
  if (deadlineMs === undefined) return { zone, ...(await queryList(dns, name, zone.codes, wantText)) }
  const started = performance.now()
  let answer: ListAnswer
  try {
    answer = await withDeadline(queryList(dns, name, zone.codes, false), deadlineMs, undefined, 'DNS')
  } catch {
    return { zone, status: 'error', code: 'ETIMEOUT' }
  }
  if (answer.status !== 'listed' || !wantText) return { zone, ...answer }
  const left = deadlineMs - (performance.now() - started)
  const text =
    left > 0
      ? await withDeadline(listText(dns, name), left, undefined, 'DNS').catch(() => undefined)
      : undefined
  return { zone, ...answer, text }
}

/** The `timeout` argument in seconds (decimals allowed) → ms; undefined: only the resolver's deadline. */
export function lookupDeadline(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const seconds = Number(value.trim())
  if (!value.trim() || !Number.isFinite(seconds) || seconds <= 0)
    throw new Error(`timeout must be a number of seconds above 0, not ${JSON.stringify(value)}`)
  return Math.round(seconds * 1000)
}

/**
 * With `breakers`, a zone that has stopped answering is not asked: its answer is an error with
 * code `ZONE_SKIPPED`, so the plugin's `dns_error` policy applies to it as to any failed lookup.
 */
export async function checkIp(
  dns: DnsResolver,
  ip: string,
  zones: readonly Zone[],
  deadlineMs?: number,
  breakers?: ZoneBreakers,
): Promise<IpCheck> {
  const ask = async (zone: Zone): Promise<ZoneAnswer> => {
    const lookup = () => lookupZone(dns, ip, zone, deadlineMs)
    if (!breakers) return lookup()
    return (await breakers.ask(zone.name, ip, lookup)) ?? { zone, status: 'error', code: ZONE_SKIPPED }
  }
  const answers = await Promise.all(zones.map(ask))
  const listed = answers.find((a): a is Extract<ZoneAnswer, { status: 'listed' }> => a.status === 'listed')
  const errors = answers.filter((a): a is Extract<ZoneAnswer, { status: 'error' }> => a.status === 'error')
  return { listed, answers, errors }
}
