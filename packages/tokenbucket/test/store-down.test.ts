// tokenbucket with a real Redis that stops mid-run: refusals still happen (another plugin makes
// them), the count is skipped with an error line, and counting resumes when Redis is back.
import { DENY, definePlugin, deny, prefixedStore } from '@postern/core'
import { RedisStore } from '@postern/store-redis'
import { type RedisPeer, redisBinary, startRedis } from '@postern/test-peers'
import { loadPlugin, type PluginHarness, testAddress } from '@postern/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import plugin from '../src/index.js'

const refuseAll = definePlugin({
  name: 'refuse_all',
  core: '^1.0.0',
  hooks: { rcpt: () => deny('No such user', '5.1.1') },
})

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
describe.skipIf(!redisBinary())('tokenbucket with Redis down', () => {
  it('skips counting with a log line while Redis is down, and blacklists again once it is back', async () => {
    if (!redis || !store) throw new Error('redis did not start')
    h = await loadPlugin(plugin, {
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
    await eventually(async () => store!.status === 'ready')
    await h.first('rcpt', s, to, new Map())
    await h.first('rcpt', s, to, new Map())
    expect(await prefixedStore(store, 'ipblacklist:').get('192.0.2.90')).toMatch(/\|tokenbucket: /)
  })
})
