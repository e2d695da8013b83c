/**
 * `postern store …` (qpsmtpd's berkeley_operation): maintain the IP blacklist that ipblacklist
 * reads and tokenbucket writes.
 *
 *   postern store add [--ttl 1h] [--reason TEXT] [IP…]   IPs from stdin when none are given
 *   postern store delete [IP…]                           likewise
 *   postern store list [--json]
 *   postern store clean                                  drop expired entries (SQLite)
 *
 * stdin takes one IP per line, or `uniq -c` output (`   12 192.0.2.7`), so
 *   grep … mail.log | sed … | sort | uniq -c | sort -n | tail | postern store add --ttl 1h
 * lists the top offenders. `--namespace` picks another namespace than `ipblacklist`.
 */
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { parseArgs } from 'node:util'
import { formatDuration, parseDuration, prefixedStore, type Store } from '@postern/core'
import { addToBlacklist, BLACKLIST_NAMESPACE, normalizeIp, parseEntry } from '@postern/ipblacklist'

export interface StoreCommandIo {
  /** The site's store as `config/store` opened it (not namespaced). */
  store: Store
  stdin: Readable
  stdout: Writable
  stderr: Writable
}

export const STORE_USAGE = `usage: postern store <command> [options]

  add [--ttl DURATION] [--reason TEXT] [IP...]   blacklist IPs (from stdin when none are given;
                                                 "IP" or "COUNT IP" lines, as uniq -c prints)
  delete [IP...]                                 remove IPs (from stdin when none are given)
  list [--json]                                  show the entries, with expiry and reason
  clean                                          delete expired entries now

  --ttl       how long an entry stays: 90s, 30m, 1h, 2d, 1w (default: until deleted)
  --reason    text kept with the entry and shown in the refusal
  --namespace store namespace (default ipblacklist)
`

/** A non-IP-looking word in stdin, with its line number, for the error report. */
interface Problem {
  line: number
  text: string
}

interface Wanted {
  ip: string
  count?: number
  note?: string
}

/** Parses `IP`, `COUNT IP` (uniq -c) or `IP free text` lines. */
export function parseIpLine(text: string): Wanted | undefined | 'bad' {
  const t = text.trim()
  if (!t || t.startsWith('#')) return undefined
  const words = t.split(/\s+/)
  if (/^\d+$/.test(words[0]!) && words[1] !== undefined) {
    const ip = normalizeIp(words[1])
    if (ip) {
      const note = words.slice(2).join(' ')
      return note ? { ip, count: Number(words[0]), note } : { ip, count: Number(words[0]) }
    }
  }
  const ip = normalizeIp(words[0]!)
  if (!ip) return 'bad'
  const note = words.slice(1).join(' ')
  return note ? { ip, note } : { ip }
}

async function readIps(io: StoreCommandIo, positionals: readonly string[]) {
  const wanted: Wanted[] = []
  const problems: Problem[] = []
  const take = (text: string, line: number) => {
    const w = parseIpLine(text)
    if (w === 'bad') problems.push({ line, text: text.trim() })
    else if (w) wanted.push(w)
  }
  if (positionals.length) {
    for (const [i, p] of positionals.entries()) take(p, i + 1)
  } else {
    let n = 0
    for await (const line of createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY }))
      take(line, ++n)
  }
  return { wanted, problems }
}

function write(stream: Writable, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`)
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Runs one `postern store` command; resolves to the exit code (0 ok, 1 partly failed, 2 usage). */
export async function runStoreCommand(argv: readonly string[], io: StoreCommandIo): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (err) {
    write(io.stderr, `postern store: ${(err as Error).message}\n\n${STORE_USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const [command, ...rest] = positionals
  if (values.help || !command) {
    write(command || values.help ? io.stdout : io.stderr, STORE_USAGE)
    return values.help ? 0 : 2
  }
  const namespace = values.namespace ?? BLACKLIST_NAMESPACE
  const store = prefixedStore(io.store, `${namespace}:`)
  const needsInput = (command === 'add' || command === 'delete') && !rest.length
  if (needsInput && (io.stdin as { isTTY?: boolean }).isTTY) {
    write(io.stderr, `postern store ${command}: give IP addresses, or pipe them in one per line`)
    return 2
  }

  switch (command) {
    case 'add': {
      let ttl: number | undefined
      if (values.ttl !== undefined) {
        ttl = parseDuration(values.ttl)
        if (ttl === undefined || ttl <= 0) {
          write(io.stderr, `postern store add: --ttl ${values.ttl} is not a duration (e.g. 90s, 30m, 1h, 2d)`)
          return 2
        }
      }
      const { wanted, problems } = await readIps(io, rest)
      for (const w of wanted) {
        const reason =
          values.reason ??
          w.note ??
          (w.count !== undefined ? `postern store add (${w.count} events)` : 'postern store add')
        const key = await addToBlacklist(store, w.ip, ttl === undefined ? { reason } : { ttl, reason })
        write(
          io.stdout,
          `added ${key} ${ttl === undefined ? 'until deleted' : `for ${formatDuration(ttl)}`}: ${reason}`,
        )
      }
      for (const p of problems) write(io.stderr, `line ${p.line}: not an IP address: ${p.text}`)
      if (!wanted.length && !problems.length) write(io.stderr, 'postern store add: no IP addresses given')
      return problems.length || !wanted.length ? 1 : 0
    }
    case 'delete': {
      const { wanted, problems } = await readIps(io, rest)
      let missing = 0
      for (const w of wanted) {
        if (await store.delete(w.ip)) write(io.stdout, `deleted ${w.ip}`)
        else {
          missing++
          write(io.stderr, `not listed: ${w.ip}`)
        }
      }
      for (const p of problems) write(io.stderr, `line ${p.line}: not an IP address: ${p.text}`)
      return problems.length || missing ? 1 : 0
    }
    case 'list': {
      if (rest.length) {
        write(io.stderr, `postern store list takes no arguments\n\n${STORE_USAGE}`)
        return 2
      }
      const rows: { key: string; expiresAt?: number; added?: number; reason: string }[] = []
      for await (const e of store.scan('')) {
        const entry = parseEntry(e.value)
        rows.push({
          key: e.key,
          reason: entry.reason,
          ...(e.expiresAt !== undefined ? { expiresAt: e.expiresAt } : {}),
          ...(entry.added !== undefined ? { added: entry.added } : {}),
        })
      }
      rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      if (values.json) {
        for (const r of rows) write(io.stdout, JSON.stringify(r))
        return 0
      }
      const now = Date.now()
      const table = rows.map((r) => [
        r.key,
        r.expiresAt === undefined ? 'never' : iso(r.expiresAt),
        r.expiresAt === undefined ? '-' : formatDuration(r.expiresAt - now),
        r.added === undefined ? '-' : iso(r.added),
        r.reason,
      ])
      const head = ['IP', 'EXPIRES', 'LEFT', 'ADDED', 'REASON']
      const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)))
      for (const row of [head, ...table])
        write(
          io.stdout,
          row
            .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!)))
            .join('  ')
            .trimEnd(),
        )
      // A blank line between the table and the count (stderr, so a pipe gets the table alone).
      write(io.stderr, `\n${rows.length} ${rows.length === 1 ? 'entry' : 'entries'}`)
      return 0
    }
    case 'clean': {
      const purge = (io.store as { purgeExpired?: () => number }).purgeExpired
      if (typeof purge !== 'function') {
        write(io.stdout, 'this store drops expired entries by itself; nothing to clean')
        return 0
      }
      const n = purge.call(io.store)
      write(io.stdout, `removed ${n} expired ${n === 1 ? 'entry' : 'entries'}`)
      return 0
    }
    default:
      write(io.stderr, `postern store: unknown command ${command}\n\n${STORE_USAGE}`)
      return 2
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      ttl: { type: 'string' },
      reason: { type: 'string' },
      namespace: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}
