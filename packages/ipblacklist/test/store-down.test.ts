// ipblacklist with a real Redis that stops mid-run: the documented policy is to pass the client
// with an error line, within the hook timeout, and to refuse again once Redis is back.
import { DECLINED, DENY, prefixedStore } from '@postern/core'
import { RedisStore } from '@postern/store-redis'
import { type RedisPeer, redisBinary, startRedis } from '@postern/test-peers'
import { loadPlugin, type PluginHarness } from '@postern/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import plugin, { addToBlacklist } from '../src/index.js'

let redis: RedisPeer | undefined
let store: RedisStore | undefined
let h: PluginHarness | undefined
beforeAll(async () => {
  redis = await startRedis()
  if (redis) store = await RedisStore.connect(redis.url, { commandTimeout: 300 })
})
afterAll(async () => {
  await h?.close()
  await store?.close()
  await redis?.close()
})

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('condition not met')
}

// Outside CI a missing redis-server skips; in CI redisBinary() throws, failing the file.
describe.skipIf(!redisBinary())('ipblacklist with Redis down', () => {
  it('passes with a clear log line while Redis is stopped or frozen, and refuses again when it is back', async () => {
    if (!redis || !store) throw new Error('redis did not start')
    h = await loadPlugin(plugin, { store, args: 'store_timeout 0.5 hook_timeout 5' })
    const blacklist = prefixedStore(store, 'ipblacklist:')
    await addToBlacklist(blacklist, '192.0.2.66', { ttl: 3_600_000, reason: 'test' })
    expect((await h.first('connect', h.session({ remoteIp: '192.0.2.66' }))).code).toBe(DENY)

    await redis.stop()
    const down = await h.first('connect', h.session({ remoteIp: '192.0.2.66' }))
    expect(down.code).toBe(DECLINED)
    expect(down.failure).toBeUndefined() // decided by the plugin, not by the hook timeout
    expect(h.logs.some((e) => /^error, store unavailable, passing 192\.0\.2\.66/.test(e.message))).toBe(true)

    await redis.start() // empty again: no persistence
    await eventually(async () => store!.status === 'ready')
    await addToBlacklist(blacklist, '192.0.2.66', { ttl: 3_600_000, reason: 'test' })
    expect((await h.first('connect', h.session({ remoteIp: '192.0.2.66' }))).code).toBe(DENY)

    // Frozen: connected but silent. The store timeout answers before the hook timeout would.
    redis.freeze()
    try {
      const frozen = await h.first('connect', h.session({ remoteIp: '192.0.2.66' }))
      expect(frozen.code).toBe(DECLINED)
      expect(frozen.failure).toBeUndefined()
    } finally {
      redis.thaw()
    }
    await eventually(
      async () => (await h!.first('connect', h!.session({ remoteIp: '192.0.2.66' }))).code === DENY,
    )
  })
})
