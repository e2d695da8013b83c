/**
 * The blacklist's shared format. ipblacklist reads it; tokenbucket and `postern store add` write
 * it. In the store, under the `ipblacklist` namespace (`ipblacklist:` + key in the backend):
 *
 *   key    the client IP as normalizeIp() spells it: `192.0.2.7`, `2001:db8::1`
 *   value  `<added>|<until>|<reason>`: unix seconds, unix seconds or empty (no end), free text
 *          e.g. `1767225600|1767229200|tokenbucket: 25 events in 60s`
 *   TTL    the store expires the entry at `until` (no TTL when `until` is empty)
 *
 * The value keeps the seed's `timestamp|moredata` shape. `until` is there so a refusal can tell
 * the client when to come back without a second store call; the TTL is what actually ends it.
 * A value not in this shape (typed by hand) counts as all reason.
 */
import type { Store } from '@postern/core'
import { normalizeIp } from './ip.js'

/** The store namespace of blacklist entries (the plugin's own name). */
export const BLACKLIST_NAMESPACE = 'ipblacklist'

export interface BlacklistEntry {
  /** When it was listed (ms since epoch), if the value says. */
  readonly added?: number
  /** When it stops being listed (ms since epoch); absent: until deleted. */
  readonly until?: number
  readonly reason: string
}

export function formatEntry(entry: { added?: number; until?: number; reason?: string }): string {
  const added = Math.floor((entry.added ?? Date.now()) / 1000)
  const until = entry.until === undefined ? '' : String(Math.ceil(entry.until / 1000))
  // One line: a reason ends up in SMTP replies and log lines.
  const reason = (entry.reason ?? '').replace(/[\r\n]+/g, ' ').trim()
  return `${added}|${until}|${reason}`
}

/** Reads a value; one not in the format (typed by hand) is all reason. */
export function parseEntry(value: string): BlacklistEntry {
  const m = /^(\d{1,12})\|(\d{1,12})?\|([\s\S]*)$/.exec(value)
  if (!m) return { reason: value.trim() }
  const reason = m[3]!.trim()
  const added = Number(m[1]) * 1000
  return m[2] === undefined ? { added, reason } : { added, until: Number(m[2]) * 1000, reason }
}

export interface ListOptions {
  /** How long it stays listed, in ms; absent: until deleted. */
  ttl?: number
  reason?: string
  /** Listing time (default now), for tests and imports. */
  added?: number
}

/**
 * Lists an IP in a store already namespaced for the blacklist (ipblacklist's `store`, or
 * `sharedStore('ipblacklist')`). Returns the normalised key; throws on something not an IP.
 */
export async function addToBlacklist(store: Store, ip: string, options: ListOptions = {}): Promise<string> {
  const key = normalizeIp(ip)
  if (!key) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`)
  const added = options.added ?? Date.now()
  const value = formatEntry({
    added,
    reason: options.reason ?? '',
    ...(options.ttl === undefined ? {} : { until: Date.now() + options.ttl }),
  })
  await store.set(key, value, options.ttl === undefined ? {} : { ttl: options.ttl })
  return key
}
