// greylisting against a real Redis: two separate Node processes sharing it, and Redis stopping
// mid-run (store_down pass and defer), with recovery when it returns.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { DECLINED, DENYSOFT } from '@postern/core'
import { RedisStore } from '@postern/store-redis'
import { type RedisPeer, redisBinary, startRedis } from '@postern/test-peers'
import { loadPlugin, type PluginHarness, testAddress } from '@postern/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import plugin from '../src/index.js'

const run = promisify(execFile)
const pkgDir = path.resolve(import.meta.dirname, '..')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let redis: RedisPeer | undefined
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.close()
})

/** Runs one node process; resolves to its RCPT result. */
async function node(args: string, ip: string): Promise<{ code: number; message: string[]; pid: number }> {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=@postern/source', '--import', 'tsx', 'test/fixtures/node.ts', redis!.url, args, ip],
    { cwd: pkgDir, timeout: 60_000 },
  )
  return JSON.parse(stdout.trim().split('\n').pop()!)
}

async function rcpt(h: PluginHarness, ip: string) {
  const s = h.session({ remoteIp: ip })
  s.begin({ sender: 'alice@sender.example' })
  return h.first('rcpt', s, testAddress('bob@example.com'), new Map())
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error('condition not met')
}

// Outside CI a missing redis-server skips; in CI redisBinary() throws, failing the file.
describe.skipIf(!redisBinary())('greylisting with a real Redis', () => {
  it('a triplet first seen on node A passes on node B after the black timeout', async () => {
    const a1 = await node('black_timeout 1 grey_timeout 600', '192.0.2.101')
    expect(a1.code).toBe(DENYSOFT)
    // Within the black period node B sees the same triplet as already deferred (long timeout
    // here so the outcome does not depend on how fast the processes start).
    const b0 = await node('black_timeout 3600 grey_timeout 7200', '192.0.2.102')
    const a0 = await node('black_timeout 3600 grey_timeout 7200', '192.0.2.102')
    expect([b0.code, a0.code]).toEqual([DENYSOFT, DENYSOFT])
    const store = await RedisStore.connect(redis!.url)
    try {
      expect(await store.get('greylisting:ip=192.0.2.102')).toMatch(/^\d+:1:1:0$/) // one new, one black
    } finally {
      await store.close()
    }
    await sleep(1200) // past node A's black timeout of 1 s
    const b1 = await node('black_timeout 1 grey_timeout 600', '192.0.2.101')
    expect(b1.code).toBe(DECLINED)
    expect(b1.pid).not.toBe(a1.pid)
    const a2 = await node('black_timeout 1 grey_timeout 600', '192.0.2.101')
    expect(a2.code).toBe(DECLINED) // white now, on every node
  }, 120_000)

  it('store_down pass: passes with a clear log line while Redis is down, greylists again when back', async () => {
    const store = await RedisStore.connect(redis!.url, { commandTimeout: 300 })
    const h = await loadPlugin(plugin, { store, args: 'store_down pass store_timeout 0.5 hook_timeout 5' })
    try {
      expect((await rcpt(h, '192.0.2.120')).code).toBe(DENYSOFT)
      await redis!.stop()
      const down = await rcpt(h, '192.0.2.121')
      expect(down.code).toBe(DECLINED)
      expect(down.failure).toBeUndefined()
      expect(
        h.logs.some((e) => e.message.startsWith('error, store unavailable, passing (store_down pass)')),
      ).toBe(true)
      await redis!.start()
      await eventually(async () => store.status === 'ready')
      expect((await rcpt(h, '192.0.2.122')).code).toBe(DENYSOFT)
    } finally {
      await h.close()
      await store.close()
    }
  })

  it('store_down defer: answers 4xx while Redis is frozen, before the hook timeout', async () => {
    const store = await RedisStore.connect(redis!.url, { commandTimeout: 10_000 })
    const h = await loadPlugin(plugin, { store, args: 'store_down defer store_timeout 0.3 hook_timeout 5' })
    try {
      redis!.freeze()
      const frozen = await rcpt(h, '192.0.2.130')
      expect(frozen).toMatchObject({ code: DENYSOFT, enhanced: '4.3.0' })
      expect(frozen.failure).toBeUndefined() // the plugin's answer, not the dispatcher's 451
      expect(frozen.message.join(' ')).toBe('Greylisting is unavailable; please try again later')
      expect(h.logs.some((e) => /^error, store unavailable, deferring .*within 300 ms/.test(e.message))).toBe(
        true,
      )
    } finally {
      redis!.thaw()
    }
    try {
      await eventually(async () => (await rcpt(h, '192.0.2.131')).enhanced === '4.2.0')
    } finally {
      await h.close()
      await store.close()
    }
  })
})
