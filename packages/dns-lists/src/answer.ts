/**
 * What a list's A answer means, and the query itself: every DNS list plugin asks the A record
 * first and the TXT record (the list's reply text) only once the A record says "listed": most
 * names are not listed, and asking both up front would double the queries for them.
 */
import { BlockList } from 'node:net'
import { DnsError, type DnsResolver } from '@postern/core'

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
// "Query refused / over quota" answers, never listings: 127.255.255.x (Spamhaus and most
// others), 127.0.0.255 (dnswl.org).
const LIST_ERRORS = new BlockList()
LIST_ERRORS.addSubnet('127.255.255.0', 24, 'ipv4')
LIST_ERRORS.addAddress('127.0.0.255', 'ipv4')

/**
 * An answer a list gives for a listing: inside 127.0.0.0/8 and not a list error code. Anything
 * else (an error code, an address from a dead list's wildcard) is odd, and never a listing.
 */
export function isListAnswer(address: string): boolean {
  return LOOPBACK.check(address, 'ipv4') && !LIST_ERRORS.check(address, 'ipv4')
}

/** A listing answer that also passes the zone's return-code filter (none: every listing). */
export function isListing(address: string, codes: BlockList | undefined): boolean {
  return isListAnswer(address) && (codes ? codes.check(address, 'ipv4') : true)
}

export type ListAnswer =
  | { readonly status: 'listed'; readonly codes: string[]; readonly text: string | undefined }
  | { readonly status: 'clear' }
  /** Only answers that are not listings (isListAnswer false): logged, never a listing. */
  | { readonly status: 'odd'; readonly codes: string[] }
  /** The lookup failed (SERVFAIL, timeout): the verdict is unknown. */
  | { readonly status: 'error'; readonly code: string }

/** The TXT record joined, or undefined: the reply text is a nicety, a failure falls back. */
export async function listText(dns: DnsResolver, name: string): Promise<string | undefined> {
  try {
    return (await dns.resolveTxt(name)).join(' ') || undefined
  } catch {
    return undefined
  }
}

/**
 * Asks `name` (`2.0.0.127.zen.example`, `example.com.dbl.example`). NXDOMAIN is clear; answers
 * outside the filter are a real "not listed for this purpose" (clear); with `text`, a listing
 * comes with its TXT record.
 */
export async function queryList(
  dns: DnsResolver,
  name: string,
  codes: BlockList | undefined,
  text: boolean,
): Promise<ListAnswer> {
  let answers: string[]
  try {
    answers = await dns.resolve4(name)
  } catch (err) {
    if (err instanceof DnsError && err.isNotFound) return { status: 'clear' }
    return { status: 'error', code: err instanceof DnsError ? err.code : String(err) }
  }
  const hits = answers.filter((a) => isListing(a, codes))
  if (hits.length)
    return { status: 'listed', codes: hits, text: text ? await listText(dns, name) : undefined }
  const odd = answers.filter((a) => !isListAnswer(a))
  return odd.length ? { status: 'odd', codes: odd } : { status: 'clear' }
}
