// ipblacklist with a real Redis that stops mid-run: the documented policy is to pass the client
// with an error line, within the hook timeout, and to refuse again once Redis is back.
import { DECLINED, DENY, prefixedStore } from '@postern/core'
import { RedisStore } from '@postern/store-redis'
import { useTestRedis } from '@postern/test-peers'
import { loadPluginForTest } from '@postern/testing'
import { describe, expect, it, vi } from 'vitest'
import plugin, { addToBlacklist } from '../src/index.js'

// Commands give up after 300 ms, so a stopped or frozen Redis is noticed quickly.
const setup = await useTestRedis((url) => RedisStore.connect(url, { commandTimeout: 300 }))
/** Polling for what happens in the background (the client reconnecting). */
const poll = { timeout: 10_000, interval: 50 }

// Outside CI a missing redis-server skips; in CI it fails the file.
describe.skipIf(!setup)('ipblacklist with Redis down', () => {
  it('passes with a clear log line while Redis is stopped or frozen, and refuses again when it is back', async () => {
    const { redis, store } = setup!
    const h = await loadPluginForTest(plugin, { store, args: 'store_timeout 0.5 hook_timeout 5' })
    const blacklist = prefixedStore(store, 'ipblacklist:')
    await addToBlacklist(blacklist, '192.0.2.66', { ttl: 3_600_000, reason: 'test' })
    expect((await h.first('connect', h.session({ remoteIp: '192.0.2.66' }))).code).toBe(DENY)

    await redis.stop()
    const down = await h.first('connect', h.session({ remoteIp: '192.0.2.66' }))
    expect(down.code).toBe(DECLINED)
    expect(down.failure).toBeUndefined() // decided by the plugin, not by the hook timeout
    expect(h.logs.some((e) => /^error, store unavailable, passing 192\.0\.2\.66/.test(e.message))).toBe(true)

    await redis.start() // empty again: no persistence
    await vi.waitUntil(() => store.status === 'ready', poll)
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
    await vi.waitUntil(
      async () => (await h.first('connect', h.session({ remoteIp: '192.0.2.66' }))).code === DENY,
      poll,
    )
  })
})
