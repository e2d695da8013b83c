/**
 * The DNS resolver every plugin shares: one per server list, a per-query deadline, in-flight
 * lookups shared, answers cached in an LRU. Servers come from `config/dns_servers` (`ip` or
 * `ip:port` per line).
 *
 * How long an answer is kept, and why:
 * - A and AAAA: the answer's own TTL (the smallest in the set), at most `maxTtl`, at least 1 s
 *   (a TTL of 0 is still shared by the lookups of one session).
 * - MX, TXT, PTR, NS, CNAME: `defaultTtl` (5 min), at most `maxTtl`. node:dns gives TTLs only
 *   for `resolve4` / `resolve6` (`{ ttl: true }`); its other resolve calls return the records
 *   without them, so a record published with a shorter TTL is kept longer than its owner asked.
 *   DNS lists decide on the A record, which does honour its TTL.
 * - NXDOMAIN and "no records of this type": `negativeTtl` (60 s). node:dns does not expose the
 *   SOA minimum that RFC 2308 takes the negative TTL from.
 * - Failures (SERVFAIL, timeout, refused, network errors): `failureTtl` (5 s), so a list that
 *   stopped answering costs the connections asking the same name one deadline per few seconds,
 *   not one each. A failure is kept only that briefly because it says nothing about the data.
 */
import { Resolver } from 'node:dns/promises'
import { isIP } from 'node:net'
import { domainToASCII } from 'node:url'
import { LRUCache } from 'lru-cache'
import { isValidDomain } from './address.js'

export type DnsRecordType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR' | 'NS' | 'CNAME'

export interface MxRecord {
  readonly exchange: string
  readonly priority: number
}

export interface DnsResolverOptions {
  /** `ip` or `ip:port` (`[v6]:port`); empty means the system's resolvers. */
  servers?: readonly string[]
  /** Deadline for one lookup, in ms (default 5000). */
  timeout?: number
  /** Upper bound on a cached answer's life, in ms (default 1 hour). */
  maxTtl?: number
  /** Life of an answer whose type carries no TTL (default 5 minutes). */
  defaultTtl?: number
  /** Life of a cached NXDOMAIN / no-data answer (default 60 s). */
  negativeTtl?: number
  /** Life of a cached failure: SERVFAIL, timeout, refused (default 5 s; 0: never cached). */
  failureTtl?: number
  /** Cached answers kept (default 10,000). */
  cacheSize?: number
  /** The clock the cache's TTLs run on, in ms (default `performance.now`); tests pass a fake one. */
  now?: () => number
}

/** A DNS failure. `code` is node's (`ENOTFOUND`, `ENODATA`, `ESERVFAIL`, `ETIMEOUT`, …). */
export class DnsError extends Error {
  override readonly name = 'DnsError'
  constructor(
    readonly code: string,
    readonly query: string,
    readonly type: DnsRecordType,
  ) {
    super(`${type} ${query}: ${code}`)
  }

  /** NXDOMAIN or no records of this type: a real answer, not a failure. */
  get isNotFound(): boolean {
    return this.code === 'ENOTFOUND' || this.code === 'ENODATA'
  }

  /** SERVFAIL, timeout, refused, network trouble: try again later. */
  get isTemporary(): boolean {
    return !this.isNotFound
  }
}

type Answer = { ok: true; value: unknown } | { ok: false; code: string }

export interface DnsResolver {
  resolve4(name: string): Promise<string[]>
  resolve6(name: string): Promise<string[]>
  resolveMx(name: string): Promise<MxRecord[]>
  /** Each TXT record's strings joined. */
  resolveTxt(name: string): Promise<string[]>
  resolvePtr(name: string): Promise<string[]>
  resolveNs(name: string): Promise<string[]>
  /** PTR names of an IP (IPv4 or IPv6). */
  reverse(ip: string): Promise<string[]>
  /** Counters for figures and tests. */
  readonly stats: { queries: number; cacheHits: number; timeouts: number }
  clearCache(): void
}

/** Parses `config/dns_servers` lines into the form `Resolver.setServers` wants. */
export function parseDnsServers(lines: readonly string[]): string[] {
  const out: string[] = []
  for (const raw of lines) {
    const line = raw.trim()
    if (!line) continue
    if (isIP(line)) {
      out.push(line)
      continue
    }
    const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(line)
    if (v6 && isIP(v6[1]!) === 6) {
      out.push(line)
      continue
    }
    const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(line)
    if (v4 && isIP(v4[1]!) === 4 && Number(v4[2]) > 0 && Number(v4[2]) < 65536) {
      out.push(line)
      continue
    }
    throw new Error(`bad DNS server ${JSON.stringify(line)} (want ip or ip:port)`)
  }
  return out
}

/** `1.2.3.4` → `4.3.2.1`; an IPv6 address → its 32 nibbles reversed (for DNSBL and PTR zones). */
export function reverseIp(ip: string): string {
  if (isIP(ip) === 4) return ip.split('.').reverse().join('.')
  if (isIP(ip) !== 6) throw new TypeError(`not an IP address: ${ip}`)
  return expandIpv6(ip).replace(/:/g, '').split('').reverse().join('.')
}

/** `::1` → `0000:0000:0000:0000:0000:0000:0000:0001`. */
export function expandIpv6(ip: string): string {
  let text = ip
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const p = v4[1]!.split('.').map(Number)
    text =
      text.slice(0, -v4[1]!.length) +
      `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0')
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':')
}

/** An answer and how long to keep it (ms; 0: not at all). */
interface Fetched {
  readonly answer: Answer
  readonly ttl: number
}

const NOT_FOUND: ReadonlySet<string> = new Set(['ENOTFOUND', 'ENODATA'])

export function createDnsResolver(options: DnsResolverOptions = {}): DnsResolver {
  const timeout = options.timeout ?? 5000
  const maxTtl = options.maxTtl ?? 3_600_000
  const defaultTtl = Math.min(options.defaultTtl ?? 300_000, maxTtl)
  const negativeTtl = Math.min(options.negativeTtl ?? 60_000, maxTtl)
  const failureTtl = Math.min(options.failureTtl ?? 5000, maxTtl)
  // tries: 1 — our own deadline governs; c-ares retries would stretch it.
  const resolver = new Resolver({ timeout, tries: 1 })
  if (options.servers?.length) resolver.setServers([...options.servers])
  // Made with the first lookup: lru-cache allocates its arrays for `max` entries up front.
  let lru: LRUCache<string, Answer> | undefined
  const now = options.now
  const cache = {
    get: (key: string) => lru?.get(key),
    set: (key: string, answer: Answer, ttl: number) => {
      // lru-cache reads a ttl of 0 as "forever": such answers are not stored at all.
      if (ttl <= 0) return
      lru ??= new LRUCache<string, Answer>({
        max: options.cacheSize ?? 10_000,
        // A given clock is read on every check (lru-cache otherwise reuses a reading for 1 ms).
        ...(now ? { perf: { now }, ttlResolution: 0 } : {}),
      })
      lru.set(key, answer, { ttl: Math.ceil(ttl) })
    },
    clear: () => lru?.clear(),
  }
  const inflight = new Map<string, Promise<Answer>>()
  const stats = { queries: 0, cacheHits: 0, timeouts: 0 }

  const positive = (value: unknown): Fetched => ({ answer: { ok: true, value }, ttl: defaultTtl })

  async function query(type: DnsRecordType, name: string): Promise<Fetched> {
    try {
      switch (type) {
        case 'A':
        case 'AAAA': {
          const rr =
            type === 'A'
              ? await resolver.resolve4(name, { ttl: true })
              : await resolver.resolve6(name, { ttl: true })
          const ttl = rr.length ? Math.min(...rr.map((r) => r.ttl)) * 1000 : negativeTtl
          return {
            answer: { ok: true, value: rr.map((r) => r.address) },
            ttl: Math.max(1000, Math.min(ttl, maxTtl)),
          }
        }
        case 'MX':
          return positive((await resolver.resolveMx(name)).sort((a, b) => a.priority - b.priority))
        case 'TXT':
          return positive((await resolver.resolveTxt(name)).map((parts) => parts.join('')))
        case 'PTR':
          return positive(await resolver.resolvePtr(name))
        case 'NS':
          return positive(await resolver.resolveNs(name))
        case 'CNAME':
          return positive(await resolver.resolveCname(name))
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN'
      return { answer: { ok: false, code }, ttl: NOT_FOUND.has(code) ? negativeTtl : failureTtl }
    }
  }

  /** The query, or ETIMEOUT once `timeout` (plus a margin for c-ares's own timer) is over. */
  function withDeadline(p: Promise<Fetched>): Promise<Fetched> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<Fetched>((resolve) => {
      timer = setTimeout(
        () => resolve({ answer: { ok: false, code: 'ETIMEOUT' }, ttl: failureTtl }),
        timeout + 50,
      )
      timer.unref()
    })
    return Promise.race([p, deadline]).finally(() => clearTimeout(timer))
  }

  async function lookup<T>(type: DnsRecordType, rawName: string): Promise<T> {
    const name = rawName.toLowerCase().replace(/\.$/, '')
    const key = `${type} ${name}`
    let answer = cache.get(key)
    if (answer) stats.cacheHits++
    else {
      let pending = inflight.get(key)
      if (!pending) {
        stats.queries++
        pending = withDeadline(query(type, name))
          .then(({ answer, ttl }) => {
            if (!answer.ok && answer.code === 'ETIMEOUT') stats.timeouts++
            cache.set(key, answer, ttl)
            return answer
          })
          .finally(() => inflight.delete(key))
        inflight.set(key, pending)
      }
      answer = await pending
    }
    if (!answer.ok) throw new DnsError(answer.code, name, type)
    return answer.value as T
  }

  return {
    resolve4: (n) => lookup<string[]>('A', n),
    resolve6: (n) => lookup<string[]>('AAAA', n),
    resolveMx: (n) => lookup<MxRecord[]>('MX', n),
    resolveTxt: (n) => lookup<string[]>('TXT', n),
    resolvePtr: (n) => lookup<string[]>('PTR', n),
    resolveNs: (n) => lookup<string[]>('NS', n),
    reverse: (ip) => lookup<string[]>('PTR', `${reverseIp(ip)}.${isIP(ip) === 4 ? 'in-addr' : 'ip6'}.arpa`),
    stats,
    clearCache: () => cache.clear(),
  }
}

/**
 * A host from MAIL FROM, RCPT TO or HELO as the A-label domain DNS wants (UTF-8 names from
 * SMTPUTF8 become punycode, a trailing dot goes), or undefined for what no DNS name can be:
 * address literals, bare words, malformed names.
 */
export function lookupDomain(host: string | undefined): string | undefined {
  if (!host || host.startsWith('[')) return undefined
  const ascii = domainToASCII(host.replace(/\.$/, '')).toLowerCase()
  if (!ascii.includes('.') || !isValidDomain(ascii)) return undefined
  return ascii
}
