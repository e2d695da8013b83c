/**
 * Recipients grouped by the relay that serves their domain: one connection per relay. Each
 * distinct address appears once (a second RCPT for the same address could deliver twice).
 */
import type { Address } from '@postern/core'
import { describeEndpoint, type Endpoint, type RecipientOutcome } from '@postern/smtp-client'
import { type Routes, routeFor } from './routes.js'

export interface Grouping {
  /** Relay text (`host:port`) → its recipients. A Map: the domains come from clients. */
  readonly groups: ReadonlyMap<string, { endpoint: Endpoint; recipients: string[] }>
  /** Recipients no route and no default relay covers. */
  readonly unrouted: readonly Address[]
  /** Every distinct recipient path, in order. */
  readonly all: readonly string[]
}

export function groupByRelay(recipients: readonly Address[], routes: Routes, fallback?: Endpoint): Grouping {
  const groups = new Map<string, { endpoint: Endpoint; recipients: string[] }>()
  const unrouted: Address[] = []
  const seen = new Set<string>()
  for (const rcpt of recipients) {
    const path = rcpt.format()
    if (seen.has(path)) continue
    seen.add(path)
    const endpoint = routeFor(routes, rcpt.host) ?? fallback
    if (!endpoint) {
      unrouted.push(rcpt)
      continue
    }
    const key = describeEndpoint(endpoint)
    const g = groups.get(key) ?? { endpoint, recipients: [] }
    g.recipients.push(path)
    groups.set(key, g)
  }
  return { groups, unrouted, all: [...seen] }
}

/**
 * Outcomes when some recipients have no route: those fail temporarily (a configuration gap
 * an admin can fix, not a verdict on the mail), the rest are held (nothing is sent).
 */
export function unroutedOutcomes(grouping: Grouping): RecipientOutcome[] {
  const missing = new Map(grouping.unrouted.map((u) => [u.format(), u]))
  return grouping.all.map((recipient): RecipientOutcome => {
    const m = missing.get(recipient)
    if (!m) return { recipient, status: 'held' }
    const where = m.host || 'this address'
    return {
      recipient,
      status: 'temporary',
      reply: { code: 451, enhanced: '4.3.5', lines: [`No route configured for ${where}`] },
    }
  })
}
