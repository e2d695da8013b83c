/**
 * The DNS resolver every plugin shares: one per server, a per-query deadline, in-flight
 * lookups shared, answers cached for their TTL (A/AAAA carry one; other types use a default),
 * failures cached briefly. Servers come from `config/dns_servers` (`ip` or `ip:port` per line).
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
  /** Cached answers kept (default 10,000). */
  cacheSize?: number
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

export function createDnsResolver(options: DnsResolverOptions = {}): DnsResolver {
  const timeout = options.timeout ?? 5000
  const maxTtl = options.maxTtl ?? 3_600_000
  const defaultTtl = Math.min(options.defaultTtl ?? 300_000, maxTtl)
  const negativeTtl = options.negativeTtl ?? 60_000
  // tries: 1 — our own deadline governs; c-ares retries would stretch it.
  const resolver = new Resolver({ timeout, tries: 1 })
  if (options.servers?.length) resolver.setServers([...options.servers])
  // Made with the first lookup: lru-cache allocates its arrays for `max` entries up front.
  let lru: LRUCache<string, Answer> | undefined
  const cache = {
    get: (key: string) => lru?.get(key),
    set: (key: string, answer: Answer, opts: { ttl: number }) => {
      lru ??= new LRUCache<string, Answer>({ max: options.cacheSize ?? 10_000 })
      lru.set(key, answer, opts)
    },
    clear: () => lru?.clear(),
  }
  const inflight = new Map<string, Promise<Answer>>()
  const stats = { queries: 0, cacheHits: 0, timeouts: 0 }

  async function query(type: DnsRecordType, name: string): Promise<Answer> {
    try {
      switch (type) {
        case 'A':
        case 'AAAA': {
          const rr =
            type === 'A'
              ? await resolver.resolve4(name, { ttl: true })
              : await resolver.resolve6(name, { ttl: true })
          const ttl = rr.length ? Math.min(...rr.map((r) => r.ttl)) * 1000 : negativeTtl
          const value = rr.map((r) => r.address)
          cache.set(`${type} ${name}`, { ok: true, value }, { ttl: Math.max(1000, Math.min(ttl, maxTtl)) })
          return { ok: true, value }
        }
        case 'MX': {
          const value = (await resolver.resolveMx(name)).sort((a, b) => a.priority - b.priority)
          return remember(type, name, { ok: true, value })
        }
        case 'TXT': {
          const value = (await resolver.resolveTxt(name)).map((parts) => parts.join(''))
          return remember(type, name, { ok: true, value })
        }
        case 'PTR':
          return remember(type, name, { ok: true, value: await resolver.resolvePtr(name) })
        case 'NS':
          return remember(type, name, { ok: true, value: await resolver.resolveNs(name) })
        case 'CNAME':
          return remember(type, name, { ok: true, value: await resolver.resolveCname(name) })
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN'
      const answer: Answer = { ok: false, code }
      // Cache real negative answers; a SERVFAIL or timeout is retried next time.
      if (code === 'ENOTFOUND' || code === 'ENODATA')
        cache.set(`${type} ${name}`, answer, { ttl: negativeTtl })
      if (code === 'ETIMEOUT') stats.timeouts++
      return answer
    }
  }

  function remember(type: DnsRecordType, name: string, answer: Answer): Answer {
    cache.set(`${type} ${name}`, answer, { ttl: defaultTtl })
    return answer
  }

  function withDeadline(p: Promise<Answer>): Promise<Answer> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<Answer>((resolve) => {
      timer = setTimeout(() => {
        stats.timeouts++
        resolve({ ok: false, code: 'ETIMEOUT' })
      }, timeout + 50)
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
        pending = withDeadline(query(type, name)).finally(() => inflight.delete(key))
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
