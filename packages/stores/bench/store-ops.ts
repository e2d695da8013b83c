/**
 * Store operations per second, for each backend: memory, SQLite (a WAL file in a temp dir) and
 * Redis (a throwaway redis-server on loopback, skipped when it is not installed).
 *
 *   pnpm --filter @postern/stores bench            (or: node --conditions=@postern/source --import tsx bench/store-ops.ts)
 *   BENCH_OPS=20000 pnpm --filter @postern/stores bench
 *
 * "serial" awaits each call before the next (one SMTP session's view: the latency of one call);
 * "concurrent" keeps 64 calls in flight (many sessions at once; Redis pipelines them).
 */
import { rmSync } from 'node:fs'
import path from 'node:path'
import { MemoryStore, type Store } from '@postern/core'
import { RedisStore } from '@postern/store-redis'
import { SqliteStore } from '@postern/store-sqlite'
import { startRedis, tempDir } from '@postern/test-peers'

const OPS = Number(process.env.BENCH_OPS ?? 10_000)
const IN_FLIGHT = 64
const KEYS = 1000

type Op = (store: Store, i: number) => Promise<unknown>
const ops: [string, Op][] = [
  ['set', (s, i) => s.set(`bench:k${i % KEYS}`, `value-${i}`, { ttl: 3_600_000 })],
  ['get', (s, i) => s.get(`bench:k${i % KEYS}`)],
  ['incr', (s, i) => s.incr(`bench:n${i % KEYS}`, 1, { ttl: 3_600_000 })],
]

async function serial(store: Store, op: Op): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < OPS; i++) await op(store, i)
  return OPS / ((performance.now() - t0) / 1000)
}

async function concurrent(store: Store, op: Op): Promise<number> {
  let next = 0
  const t0 = performance.now()
  const worker = async () => {
    while (next < OPS) await op(store, next++)
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  return OPS / ((performance.now() - t0) / 1000)
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10)

async function bench(name: string, store: Store): Promise<void> {
  for (const [, op] of ops) await serial(store, op) // warm up: caches, JIT, the Lua script
  for (const [opName, op] of ops) {
    const s = await serial(store, op)
    const c = await concurrent(store, op)
    console.log(`${name.padEnd(8)} ${opName.padEnd(5)} serial ${fmt(s)} ops/s   concurrent ${fmt(c)} ops/s`)
  }
}

async function main(): Promise<void> {
  console.log(`${OPS} operations each, node ${process.version}\n`)
  await bench('memory', new MemoryStore())

  const dir = tempDir('bench')
  const sqlite = new SqliteStore(path.join(dir, 'bench.db'))
  try {
    await bench('sqlite', sqlite)
  } finally {
    await sqlite.close()
    rmSync(dir, { recursive: true, force: true })
  }

  const redis = await startRedis()
  if (!redis) {
    console.log('redis    skipped: redis-server is not installed')
    return
  }
  const store = await RedisStore.connect(redis.url)
  try {
    await bench('redis', store)
  } finally {
    await store.close()
    await redis.close()
  }
}

await main()
