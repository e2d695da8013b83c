import { type RedisPeer, startRedis } from '@postern/test-peers'
import { storeContract } from '@postern/testing/vitest'
import { RedisStore } from '../src/index.js'

let redis: RedisPeer | undefined

storeContract('RedisStore (real redis-server)', async () => RedisStore.connect(redis!.url), {
  async setup() {
    redis = await startRedis()
    if (!redis) return 'redis-server is not installed (scripts/peers/install.sh installs it)'
  },
  async teardown() {
    await redis?.close()
  },
})
