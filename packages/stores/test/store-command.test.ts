import { rmSync } from 'node:fs'
import path from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { MemoryStore, prefixedStore, type Store } from '@postern/core'
import { parseEntry } from '@postern/ipblacklist'
import { SqliteStore } from '@postern/store-sqlite'
import { tempDir } from '@postern/test-peers'
import { afterEach, describe, expect, it } from 'vitest'
import { parseIpLine, runStoreCommand } from '../src/index.js'

interface Run {
  code: number
  out: string
  err: string
}

async function run(store: Store, argv: string[], stdin = ''): Promise<Run> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (b) => {
    out += b
  })
  stderr.on('data', (b) => {
    err += b
  })
  const code = await runStoreCommand(argv, { store, stdin: Readable.from([stdin]), stdout, stderr })
  return { code, out, err }
}

async function entries(store: Store, ns = 'ipblacklist') {
  const out = new Map<string, { reason: string; expiresAt?: number }>()
  for await (const e of prefixedStore(store, `${ns}:`).scan('')) {
    const entry = parseEntry(e.value)
    out.set(
      e.key,
      e.expiresAt === undefined ? { reason: entry.reason } : { reason: entry.reason, expiresAt: e.expiresAt },
    )
  }
  return out
}

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('parseIpLine', () => {
  it('reads plain IPs, uniq -c lines and IPs with a note', () => {
    expect(parseIpLine('192.0.2.7')).toEqual({ ip: '192.0.2.7' })
    expect(parseIpLine('     12 192.0.2.7')).toEqual({ ip: '192.0.2.7', count: 12 })
    expect(parseIpLine('\t3 2001:DB8::1')).toEqual({ ip: '2001:db8::1', count: 3 })
    expect(parseIpLine('192.0.2.7 spam run')).toEqual({ ip: '192.0.2.7', note: 'spam run' })
    expect(parseIpLine('')).toBeUndefined()
    expect(parseIpLine('# comment')).toBeUndefined()
    expect(parseIpLine('mail.example.com')).toBe('bad')
    expect(parseIpLine('12 words here')).toBe('bad')
  })
})

describe('postern store', () => {
  it('blacklists the top offenders of a sort | uniq -c | sort -n | tail pipeline', async () => {
    const store = new MemoryStore()
    const log = ['192.0.2.1', '192.0.2.2', '192.0.2.1', '198.51.100.9', '192.0.2.1', '192.0.2.2']
    // What `sort | uniq -c | sort -n | tail -2` prints for that log.
    const counts = new Map<string, number>()
    for (const ip of log) counts.set(ip, (counts.get(ip) ?? 0) + 1)
    const uniq = [...counts]
      .sort((a, b) => a[1] - b[1])
      .slice(-2)
      .map(([ip, n]) => `${String(n).padStart(7)} ${ip}`)
      .join('\n')
    const r = await run(store, ['add', '--ttl', '1h'], `${uniq}\n`)
    expect(r.code).toBe(0)
    expect(r.out).toContain('added 192.0.2.1 for 1h: postern store add (3 events)')
    const listed = await entries(store)
    expect([...listed.keys()].sort()).toEqual(['192.0.2.1', '192.0.2.2'])
    const exp = listed.get('192.0.2.1')!.expiresAt!
    expect(exp).toBeGreaterThan(Date.now() + 3_500_000)
    expect(exp).toBeLessThanOrEqual(Date.now() + 3_600_000)
  })

  it('adds IPs given as arguments with a reason, and reports bad input with its line', async () => {
    const store = new MemoryStore()
    const r = await run(store, [
      'add',
      '--reason',
      'abuse report',
      '192.0.2.5',
      'nonsense',
      '::ffff:192.0.2.6',
    ])
    expect(r.code).toBe(1)
    expect(r.err).toContain('line 2: not an IP address: nonsense')
    const listed = await entries(store)
    expect(listed.get('192.0.2.5')).toEqual({ reason: 'abuse report' })
    expect(listed.get('192.0.2.6')).toEqual({ reason: 'abuse report' })
  })

  it('refuses a bad --ttl and unknown options with usage', async () => {
    const store = new MemoryStore()
    expect((await run(store, ['add', '--ttl', 'soon', '192.0.2.1'])).code).toBe(2)
    const r = await run(store, ['add', '--forever'])
    expect(r.code).toBe(2)
    expect(r.err).toContain('usage: postern store')
    expect((await run(store, ['frobnicate'])).code).toBe(2)
    expect((await run(store, [])).code).toBe(2)
    expect((await run(store, ['--help'])).code).toBe(0)
  })

  it('lists entries with expiry and reason, as a table and as JSON lines', async () => {
    const store = new MemoryStore()
    await run(store, ['add', '--ttl', '2h', '--reason', 'dictionary attack', '192.0.2.9'])
    await run(store, ['add', '--reason', 'by hand', '2001:db8::7'])
    const table = await run(store, ['list'])
    expect(table.code).toBe(0)
    const lines = table.out.trim().split('\n')
    expect(lines[0]).toMatch(/^IP\s+EXPIRES\s+LEFT\s+ADDED\s+REASON$/)
    expect(lines[1]).toMatch(/^192\.0\.2\.9\s+\S+Z\s+(1h59m\d*s?|2h)\s+\S+Z\s+dictionary attack$/)
    expect(lines[2]).toMatch(/^2001:db8::7\s+never\s+-\s+\S+Z\s+by hand$/)
    // The count on stderr, after a blank line that sets it off from the table.
    expect(table.err).toBe('\n2 entries\n')
    const json = await run(store, ['list', '--json'])
    const rows = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; reason: string })
    expect(rows.map((r) => [r.key, r.reason])).toEqual([
      ['192.0.2.9', 'dictionary attack'],
      ['2001:db8::7', 'by hand'],
    ])
  })

  it('deletes from arguments or stdin and says what was not listed', async () => {
    const store = new MemoryStore()
    await run(store, ['add', '192.0.2.1', '192.0.2.2', '192.0.2.3'])
    expect((await run(store, ['delete', '192.0.2.1'])).code).toBe(0)
    const r = await run(store, ['delete'], '192.0.2.2\n192.0.2.99\n')
    expect(r.code).toBe(1)
    expect(r.out).toContain('deleted 192.0.2.2')
    expect(r.err).toContain('not listed: 192.0.2.99')
    expect([...(await entries(store)).keys()]).toEqual(['192.0.2.3'])
  })

  it('cleans expired rows from a SQLite store, and says a self-expiring store needs none', async () => {
    const dir = tempDir('store-cmd')
    dirs.push(dir)
    const sqlite = new SqliteStore(path.join(dir, 'state.db'), { purgeInterval: 0 })
    try {
      await run(sqlite, ['add', '--ttl', '1ms', '192.0.2.1', '192.0.2.2'])
      await run(sqlite, ['add', '192.0.2.3'])
      await new Promise((r) => setTimeout(r, 20))
      const r = await run(sqlite, ['clean'])
      expect(r).toMatchObject({ code: 0, out: 'removed 2 expired entries\n' })
      expect([...(await entries(sqlite)).keys()]).toEqual(['192.0.2.3'])
    } finally {
      await sqlite.close()
    }
    const mem = await run(new MemoryStore(), ['clean'])
    expect(mem.out).toContain('nothing to clean')
  })

  it('works in another namespace with --namespace', async () => {
    const store = new MemoryStore()
    await run(store, ['add', '--namespace', 'mylist', '192.0.2.1'])
    expect((await entries(store, 'mylist')).has('192.0.2.1')).toBe(true)
    expect((await entries(store)).size).toBe(0)
  })
})
