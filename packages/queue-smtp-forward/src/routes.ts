/**
 * `config/smtproutes`: which next hop gets which recipient domain. Two spellings per line:
 *
 *     example.com   mx.internal:25        (domain, whitespace, relay)
 *     example.com:mx.internal:25          (qmail's control/smtproutes)
 *     .example.net  relay.example.net     (a leading dot: every subdomain of example.net)
 *     :smarthost.example:587              (empty domain: the default route)
 *
 * Lookup follows qmail: the exact domain, then each parent as `.parent`, then the default.
 * A relay is `host`, `host:port` or `[IPv6]:port`; the port defaults to 25.
 */
import { ConfigError, type ConfigLine } from '@postern/core'
import { type Endpoint, parseEndpoint } from '@postern/smtp-client'

export interface Routes {
  /** Domain (lower case; `.suffix` for subdomains) → relay. Keys come from config: a Map. */
  readonly byDomain: ReadonlyMap<string, Endpoint>
  readonly fallback?: Endpoint
}

export const SMTP_PORT = 25

const DOMAIN = /^\.?[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/

export function parseRoutes(lines: readonly ConfigLine[]): Routes {
  const byDomain = new Map<string, Endpoint>()
  let fallback: Endpoint | undefined
  for (const line of lines) {
    const text = line.value
    let domain: string
    let relay: string
    const ws = /^(\S+)\s+(\S+)$/.exec(text)
    if (ws) {
      domain = ws[1]!
      relay = ws[2]!
      // `: relay` is the whitespace spelling of the default route.
      if (domain === ':' || domain === '*') domain = ''
    } else {
      const colon = text.indexOf(':')
      if (colon < 0) throw new ConfigError(`"${text}" has no relay (domain relay)`, line.file, line.line)
      domain = text.slice(0, colon)
      relay = text.slice(colon + 1)
    }
    domain = domain.toLowerCase()
    if (relay === '')
      throw new ConfigError(
        `"${text}": an empty relay means MX delivery in qmail, which queue/smtp-forward does not do`,
        line.file,
        line.line,
      )
    let endpoint: Endpoint
    try {
      endpoint = parseEndpoint(relay, SMTP_PORT)
    } catch (err) {
      throw new ConfigError(`${(err as Error).message}`, line.file, line.line)
    }
    if ('path' in endpoint) throw new ConfigError('relays are TCP hosts', line.file, line.line)
    if (domain === '') fallback = endpoint
    else if (!DOMAIN.test(domain)) throw new ConfigError(`bad domain "${domain}"`, line.file, line.line)
    else byDomain.set(domain, endpoint)
  }
  return fallback ? { byDomain, fallback } : { byDomain }
}

/** The relay for a recipient domain (address literals only match the default). */
export function routeFor(routes: Routes, domain: string): Endpoint | undefined {
  const d = domain.toLowerCase()
  if (!d.startsWith('[')) {
    const exact = routes.byDomain.get(d)
    if (exact) return exact
    for (let i = d.indexOf('.'); i >= 0; i = d.indexOf('.', i + 1)) {
      const hit = routes.byDomain.get(d.slice(i))
      if (hit) return hit
    }
  }
  return routes.fallback
}
