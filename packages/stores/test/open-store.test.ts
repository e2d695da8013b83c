import { rmSync } from 'node:fs'
import path from 'node:path'
import { MemoryStore } from '@postern/core'
import { RedisStore } from '@postern/store-redis'
import { SqliteStore } from '@postern/store-sqlite'
import { freePort, type RedisPeer, startRedis, tempDir } from '@postern/test-peers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore, StoreSpecError } from '../src/index.js'
import { parseSqliteSpec } from '../src/open-store.js'

let redis: RedisPeer | undefined
const dir = tempDir('open-store')
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('openStore', () => {
  it('opens memory by default', async () => {
    expect(await openStore('memory')).toBeInstanceOf(MemoryStore)
    expect(await openStore('  ')).toBeInstanceOf(MemoryStore)
  })

  it('opens sqlite:PATH relative to the base dir, and sqlite:///abs', async () => {
    const s = await openStore('sqlite:state.db', { baseDir: dir })
    expect(s).toBeInstanceOf(SqliteStore)
    expect((s as SqliteStore).path).toBe(path.join(dir, 'state.db'))
    await s.set('k', 'v')
    await s.close()
    const again = await openStore(`sqlite://${path.join(dir, 'state.db')}`)
    expect(await again.get('k')).toBe('v')
    await again.close()
  })

  it('passes ?busy_timeout=MS to the SQLite store', async () => {
    const s = await openStore('sqlite:busy.db?busy_timeout=250', { baseDir: dir })
    expect((s as SqliteStore).path).toBe(path.join(dir, 'busy.db'))
    expect((s as SqliteStore).busyTimeout).toBe(250)
    await s.close()
    const plain = await openStore('sqlite:busy.db', { baseDir: dir })
    expect((plain as SqliteStore).busyTimeout).toBe(1000)
    await plain.close()
  })

  it('opens redis://… with its prefix', async (ctx) => {
    if (!redis) return ctx.skip('redis-server is not installed')
    const s = await openStore(`${redis.url}/3?prefix=site:`)
    expect(s).toBeInstanceOf(RedisStore)
    expect((s as RedisStore).prefix).toBe('site:')
    await s.set('k', 'v')
    expect(await s.get('k')).toBe('v')
    await s.close()
  })

  it('fails clearly on a Redis that is not there and on an unknown spec', async () => {
    const port = await freePort()
    await expect(openStore(`redis://127.0.0.1:${port}`)).rejects.toThrow(/cannot connect/)
    await expect(openStore('mysql://x')).rejects.toBeInstanceOf(StoreSpecError)
    await expect(openStore('sqlite:')).rejects.toThrow(/needs a file path/)
  })
})

describe('parseSqliteSpec', () => {
  it('reads the path and the busy_timeout option', () => {
    expect(parseSqliteSpec('sqlite:/var/lib/postern/state.db')).toEqual({
      file: '/var/lib/postern/state.db',
      busyTimeout: undefined,
    })
    expect(parseSqliteSpec('sqlite:///var/x.db?busy_timeout=0')).toEqual({
      file: '/var/x.db',
      busyTimeout: 0,
    })
    expect(parseSqliteSpec(' sqlite:state.db?busy_timeout=2500 ')).toEqual({
      file: 'state.db',
      busyTimeout: 2500,
    })
    // A `?` that starts no option list belongs to the path.
    expect(parseSqliteSpec('sqlite:odd?name.db')).toEqual({ file: 'odd?name.db', busyTimeout: undefined })
  })

  it('refuses unknown options, bad values and a missing path', () => {
    expect(() => parseSqliteSpec('sqlite:x.db?busy=5')).toThrow(/unknown sqlite store option "busy"/)
    for (const bad of ['-1', '1.5', 'soon', ''])
      expect(() => parseSqliteSpec(`sqlite:x.db?busy_timeout=${bad}`), bad).toThrow(
        /busy_timeout must be milliseconds/,
      )
    expect(() => parseSqliteSpec('sqlite:?busy_timeout=5')).toThrow(/needs a file path/)
    expect(() => parseSqliteSpec('sqlite:x.db?busy_timeout=5')).not.toThrow()
  })
})
