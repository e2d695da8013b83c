import { freePort, type RedisPeer, startRedis } from '@postern/test-peers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapeGlob, RedisStore } from '../src/index.js'

describe('escapeGlob', () => {
  it('escapes exactly the characters SCAN MATCH treats specially', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f')
    expect(escapeGlob('ipblacklist:192.0.2.1')).toBe('ipblacklist:192.0.2.1')
  })
})

let redis: RedisPeer | undefined
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.close()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Retries `fn` until it resolves (the client reconnects in the background). */
async function eventually<T>(fn: () => Promise<T>, tries = 200): Promise<T> {
  let last: unknown
  for (let i = 0; i < tries; i++) {
    try {
      return await fn()
    } catch (err) {
      last = err
      await sleep(50)
    }
  }
  throw last
}

describe('RedisStore', () => {
  it('keeps each prefix to itself and strips it from scanned keys', async (ctx) => {
    if (!redis) return ctx.skip('redis-server is not installed')
    const a = await RedisStore.connect(`${redis.url}?prefix=siteA:`)
    const b = await RedisStore.connect(redis.url, { prefix: 'siteB:' })
    try {
      expect(a.prefix).toBe('siteA:')
      await a.set('k', 'from a')
      await b.set('k', 'from b')
      expect(await a.get('k')).toBe('from a')
      expect(await b.get('k')).toBe('from b')
      const keys: string[] = []
      for await (const e of a.scan('')) keys.push(e.key)
      expect(keys).toEqual(['k'])
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('fails to connect with a clear message when nothing listens', async () => {
    const port = await freePort()
    await expect(RedisStore.connect(`redis://127.0.0.1:${port}`, { connectTimeout: 300 })).rejects.toThrow(
      `cannot connect to redis://127.0.0.1:${port}`,
    )
  })

  it('reports connection errors to onError and hides the password in the message', async () => {
    const port = await freePort()
    const errors: Error[] = []
    const err = await RedisStore.connect(`redis://user:s3cret@127.0.0.1:${port}`, {
      connectTimeout: 300,
      onError: (e) => errors.push(e),
    }).catch((e: Error) => e)
    expect(String(err)).toContain('redis://user:***@127.0.0.1')
    expect(String(err)).not.toContain('s3cret')
    expect(errors[0]?.message).toMatch(/ECONNREFUSED/)
  })

  it('errors at once while Redis is down, and works again when it returns', async (ctx) => {
    if (!redis) return ctx.skip('redis-server is not installed')
    const store = await RedisStore.connect(redis.url)
    try {
      await store.set('fault:k', 'before')
      await redis.stop()
      // Every operation settles with an error; none waits for Redis to come back.
      await expect(store.get('fault:k')).rejects.toThrow()
      await expect(store.set('fault:k', 'x')).rejects.toThrow()
      await expect(store.incr('fault:n')).rejects.toThrow()
      await expect(store.delete('fault:k')).rejects.toThrow()
      await redis.start()
      // The server restarted empty (no persistence); the client reconnected by itself.
      expect(await eventually(() => store.incr('fault:n'))).toBe(1)
      expect(await store.get('fault:k')).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  it('a Redis that accepts but never answers fails each command after commandTimeout', async (ctx) => {
    if (!redis) return ctx.skip('redis-server is not installed')
    const store = await RedisStore.connect(redis.url, { commandTimeout: 200 })
    try {
      await store.set('frozen:k', 'v')
      redis.freeze()
      await expect(store.get('frozen:k')).rejects.toThrow(/timed out/i)
      redis.thaw()
      expect(await eventually(() => store.get('frozen:k'))).toBe('v')
    } finally {
      redis.thaw()
      await store.close()
    }
  })
})
