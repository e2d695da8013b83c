/**
 * mailauth's SPF code takes a resolver function shaped like node's `dns.promises.resolve`.
 * This one sends every lookup through core's shared resolver (the servers of config/dns_servers,
 * its deadline and its cache), so SPF shares answers with the other DNS plugins.
 */
import { DnsError, type DnsResolver } from '@postern/core'
import type { DNSResolver } from 'mailauth'

async function lookup(dns: DnsResolver, name: string, type: string): Promise<string[][] | string[]> {
  switch (type) {
    case 'A':
      return dns.resolve4(name)
    case 'AAAA':
      return dns.resolve6(name)
    case 'TXT':
      // node gives each record as its strings; core joins them; mailauth joins again.
      return (await dns.resolveTxt(name)).map((record) => [record])
    case 'MX':
      // mailauth reads `exchange` and `priority`; its declared type is narrower than its use.
      return (await dns.resolveMx(name)) as unknown as string[]
    case 'PTR':
      return dns.resolvePtr(name)
    default:
      throw Object.assign(new Error(`SPF asked for an unsupported record type ${type}`), { code: 'ENOTIMP' })
  }
}

export function mailauthResolver(dns: DnsResolver): DNSResolver {
  return async (name, type) => {
    try {
      return await lookup(dns, name, type)
    } catch (err) {
      // mailauth 4.13 maps ETIMEOUT and EREFUSED to temperror but lets other failures through
      // unlabelled, and inside include: it then ignores them: a SERVFAIL there turned into
      // "no match" and often `fail`. RFC 7208 §5.2 wants temperror; labelling it says so.
      if (err instanceof DnsError && err.isTemporary)
        Object.assign(err, { spfResult: { error: 'temperror', text: `DNS ${err.code} for ${name} ${type}` } })
      throw err
    }
  }
}
