/**
 * Redis for a test file, in one call: a throwaway redis-server (`startRedis`) and a store client
 * connected to it, started once for the file and both closed after it. The client is made by the
 * caller (test-peers does not depend on the store packages that depend on it). Call it at the top
 * level of a test file.
 */
import { afterAll } from 'vitest'
import { type RedisPeer, startRedis } from './redis.js'

export interface RedisTestSetup<S> {
  readonly redis: RedisPeer
  readonly store: S
}

/**
 * Starts Redis and connects `connect(url)` to it. Undefined when redis-server is not installed
 * outside CI, so the file's suites skip with `describe.skipIf(!setup)`; in CI a missing
 * redis-server fails instead.
 */
export async function useTestRedis<S extends { close(): Promise<void> }>(
  connect: (url: string) => Promise<S>,
): Promise<RedisTestSetup<S> | undefined> {
  const redis = await startRedis()
  if (!redis) return undefined
  let store: S
  try {
    store = await connect(redis.url)
  } catch (err) {
    await redis.close()
    throw err
  }
  afterAll(async () => {
    await store.close()
    await redis.close()
  })
  return { redis, store }
}
