/**
 * Does a sender domain resolve to somewhere mail could come back to? MX, A and AAAA are asked at
 * once (one round trip, not three), then the MX hosts' addresses, all at once. qpsmtpd's rules:
 * a domain with MX records needs one MX host with a usable address (no fallback to its A record);
 * a domain without MX needs a usable A or AAAA. "Usable" means outside the invalid networks.
 */
import { isIP } from 'node:net'
import { DnsError, type DnsResolver, type MxRecord } from '@postern/core'
import type { Networks } from './networks.js'

export type Resolution =
  | { readonly status: 'pass'; readonly via: 'mx' | 'a'; readonly detail: string }
  | {
      readonly status: 'fail'
      readonly reason: 'nxdomain' | 'no-address' | 'invalid-mx' | 'invalid-address' | 'null-mx'
      readonly detail: string
    }
  | { readonly status: 'temp'; readonly detail: string }

type Settled<T> = { ok: true; value: T } | { ok: false; notFound: boolean; code: string }

async function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await p }
  } catch (err) {
    if (err instanceof DnsError) return { ok: false, notFound: err.isNotFound, code: err.code }
    return { ok: false, notFound: false, code: String(err) }
  }
}

/** At most this many MX hosts are resolved: a domain needs one that works. */
const MAX_MX = 10

/** A and AAAA of one host; an address literal in an MX is taken as it is (seen in the wild). */
async function addresses(dns: DnsResolver, host: string): Promise<{ ips: string[]; errors: string[] }> {
  if (isIP(host)) return { ips: [host], errors: [] }
  const [a, aaaa] = await Promise.all([settle(dns.resolve4(host)), settle(dns.resolve6(host))])
  const ips: string[] = []
  const errors: string[] = []
  for (const r of [a, aaaa]) {
    if (r.ok) ips.push(...r.value)
    else if (!r.notFound) errors.push(r.code)
  }
  return { ips, errors }
}

export async function resolveDomain(
  dns: DnsResolver,
  domain: string,
  invalid: Networks,
): Promise<Resolution> {
  const [mx, own] = await Promise.all([settle(dns.resolveMx(domain)), addresses(dns, domain)])

  if (mx.ok && mx.value.length) {
    // RFC 7505: a single MX of "." (node gives an empty exchange) says "no mail here".
    if (mx.value.length === 1 && mx.value[0]!.exchange === '')
      return { status: 'fail', reason: 'null-mx', detail: `${domain} publishes a null MX` }
    const hosts = mx.value
      .slice(0, MAX_MX)
      .map((m: MxRecord) => m.exchange)
      .filter(Boolean)
    const resolved = await Promise.all(hosts.map((h) => addresses(dns, h)))
    const good = resolved.flatMap((r) => r.ips).find((ip) => !invalid.has(ip))
    if (good) return { status: 'pass', via: 'mx', detail: `${domain} has MX ${hosts.join(',')} (${good})` }
    if (resolved.some((r) => r.errors.length))
      return {
        status: 'temp',
        detail: `${domain}: MX hosts did not resolve (${resolved.flatMap((r) => r.errors)})`,
      }
    return { status: 'fail', reason: 'invalid-mx', detail: `${domain}: no MX host has a usable address` }
  }

  const good = own.ips.find((ip) => !invalid.has(ip))
  // An MX lookup that failed may hide MX records; an address is still enough to reply to.
  if (good) return { status: 'pass', via: 'a', detail: `${domain} has address ${good}` }
  if (!mx.ok && !mx.notFound) return { status: 'temp', detail: `${domain}: MX lookup failed (${mx.code})` }
  if (own.errors.length) return { status: 'temp', detail: `${domain}: address lookup failed (${own.errors})` }
  if (own.ips.length)
    return {
      status: 'fail',
      reason: 'invalid-address',
      detail: `${domain} resolves only into invalid networks`,
    }
  if (!mx.ok && mx.code === 'ENOTFOUND')
    return { status: 'fail', reason: 'nxdomain', detail: `${domain} does not exist` }
  return { status: 'fail', reason: 'no-address', detail: `${domain} has no MX, A or AAAA record` }
}
