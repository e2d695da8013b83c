/**
 * Two `postern` processes (two MX nodes) share one real Redis through `config/store`: a
 * greylisting triplet first seen on node A passes on node B once the black timeout is over.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { type RedisPeer, type Running, startPostern, startRedis, tempDir } from '@postern/test-peers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { swaks, swaksPath } from './swaks.js'

// Started here, not in beforeAll, so the suite can skip when redis-server is missing outside CI
// (startRedis throws in CI instead).
const redis: RedisPeer | undefined = swaksPath ? await startRedis() : undefined
if (swaksPath && !redis)
  console.warn('redis-server is not installed: the two-node greylisting test is skipped')
const site = tempDir('two-nodes')
const nodes: Running[] = []

function nodeConfig(name: string, redisUrl: string): string {
  const dir = path.join(site, name)
  mkdirSync(dir, { recursive: true })
  const files: Record<string, string> = {
    plugins: 'greylisting black_timeout 2 grey_timeout 600\nrcpt_ok\nqueue/discard\n',
    rcpthosts: 'example.com\n',
    me: `${name}.example.com\n`,
    store: `${redisUrl}\n`,
  }
  for (const [k, v] of Object.entries(files)) writeFileSync(path.join(dir, k), v)
  return dir
}

beforeAll(async () => {
  if (!redis) return
  const url = `redis://127.0.0.1:${redis.port}`
  nodes.push(await startPostern(['--config', nodeConfig('node-a', url), '--listen', '127.0.0.1:0']))
  nodes.push(await startPostern(['--config', nodeConfig('node-b', url), '--listen', '127.0.0.1:0']))
}, 30_000)

afterAll(async () => {
  for (const n of nodes) {
    n.child.kill('SIGTERM')
    await n.exited
  }
  await redis?.close() // stops it and removes its temp dir
  rmSync(site, { recursive: true, force: true })
})

const send = (node: Running) =>
  swaks([
    '--server',
    `127.0.0.1:${node.port}`,
    '--local-interface',
    '127.0.0.77',
    '--from',
    'sender@example.org',
    '--to',
    'user@example.com',
  ])

describe.skipIf(!swaksPath || !redis)('greylisting across two Postern nodes sharing Redis', () => {
  it('first seen on A is deferred on A and B, then passes on B after the black timeout', async () => {
    const first = await send(nodes[0]!)
    expect(first.out).toMatch(/<\*\* 450 4\.2\.0 .*greylisted/)
    const early = await send(nodes[1]!)
    expect(early.out).toMatch(/<\*\* 450 4\.2\.0 /)
    // Wait out the black timeout (2 s); the outcome is what is asserted, not the duration.
    await new Promise((r) => setTimeout(r, 2500))
    const later = await send(nodes[1]!)
    expect(later.code).toBe(0)
    expect(later.out).toMatch(/<- {2}250 2\.0\.0 /)
    // Now white on every node.
    expect((await send(nodes[0]!)).code).toBe(0)
  }, 30_000)
})
