// tokenbucket with a real Redis that stops mid-run: refusals still happen (another plugin makes
// them), the count is skipped with an error line, and counting resumes when Redis is back.
import { DENY, definePlugin, deny, prefixedStore } from '@postern/core'
import { RedisStore } from '@postern/store-redis'
import { useTestRedis } from '@postern/test-peers'
import { loadPluginForTest, testAddress } from '@postern/testing'
import { describe, expect, it, vi } from 'vitest'
import plugin from '../src/index.js'

const refuseAll = definePlugin({
  name: 'refuse_all',
  core: '^1.0.0',
  hooks: { rcpt: () => deny('No such user', '5.1.1') },
})

// Commands give up after 300 ms, so a stopped Redis is noticed quickly.
const setup = await useTestRedis((url) => RedisStore.connect(url, { commandTimeout: 300 }))

// Outside CI a missing redis-server skips; in CI it fails the file.
describe.skipIf(!setup)('tokenbucket with Redis down', () => {
  it('skips counting with a log line while Redis is down, and blacklists again once it is back', async () => {
    const { redis, store } = setup!
    const h = await loadPluginForTest(plugin, {
      before: [{ plugin: refuseAll }],
      args: 'rate 1 burst 1 store_timeout 0.5 hook_timeout 5',
      store,
    })
    const s = h.session({ remoteIp: '192.0.2.90' })
    s.begin()
    const to = testAddress('x@example.com')
    await redis.stop()
    expect((await h.first('rcpt', s, to, new Map())).code).toBe(DENY)
    expect(h.logs.some((e) => e.message.startsWith('error, store unavailable, 192.0.2.90 not counted'))).toBe(
      true,
    )
    await redis.start()
    // The client reconnects in the background.
    await vi.waitUntil(() => store.status === 'ready', { timeout: 10_000, interval: 50 })
    await h.first('rcpt', s, to, new Map())
    await h.first('rcpt', s, to, new Map())
    expect(await prefixedStore(store, 'ipblacklist:').get('192.0.2.90')).toMatch(/\|tokenbucket: /)
  })
})
