import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createLogger, type LogEntry, type Store } from '@postern/core'
import { startRedis, tempDir } from '@postern/test-peers'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { openSiteStore, storeErrorReporter } from '../src/site-store.js'

function capture() {
  const lines: string[] = []
  const log = createLogger({ level: 7, sink: (e: LogEntry) => void lines.push(`${e.level} ${e.message}`) })
  return { log, lines }
}

describe('storeErrorReporter', () => {
  it('logs the first failure, then at most one line a minute with a count, and one on recovery', () => {
    const { log, lines } = capture()
    const clock = { ms: 1_000_000 }
    const report = storeErrorReporter(log, { now: () => clock.ms })
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:6379')
    report.error(refused)
    expect(lines).toEqual([
      '4 store: connect ECONNREFUSED 127.0.0.1:6379 (retrying; further failures reported at most every 60 s)',
    ])
    for (let i = 0; i < 29; i++) {
      clock.ms += 2000 // a Redis client retries every 2 s
      report.error(refused)
    }
    expect(lines).toHaveLength(1)
    clock.ms += 2000
    report.error(refused)
    expect(lines[1]).toBe(
      '4 store: still unavailable, 30 failed attempt(s) since the last report: connect ECONNREFUSED 127.0.0.1:6379',
    )
    report.recovered()
    report.recovered()
    expect(lines.slice(2)).toEqual(['4 store: available again after 31 failed attempt(s)'])
    // A new outage is reported at once.
    report.error(refused)
    expect(lines).toHaveLength(4)
    expect(lines[3]).toMatch(/^4 store: connect ECONNREFUSED/)
  })

  it('says nothing on recovery when no outage was reported', () => {
    const { log, lines } = capture()
    storeErrorReporter(log).recovered()
    expect(lines).toEqual([])
  })
})

const redis = await startRedis()
const dir = tempDir('site-store')
afterAll(async () => {
  await redis?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!redis)('openSiteStore with Redis going away and coming back', () => {
  it('logs the outage once and the recovery once', async () => {
    const config = path.join(dir, 'config')
    mkdirSync(config, { recursive: true })
    writeFileSync(path.join(config, 'store'), `${redis!.url}\n`)
    const { log, lines } = capture()
    const store = (await openSiteStore(config, log)) as Store & { close(): Promise<void> }
    try {
      await store.set('k', 'v')
      await redis!.stop()
      await vi.waitFor(() => expect(lines.length).toBeGreaterThan(0), { timeout: 10_000 })
      await redis!.start()
      await vi.waitFor(
        () => expect(lines.at(-1)).toMatch(/^4 store: available again after \d+ failed attempt/),
        {
          timeout: 10_000,
        },
      )
      // However many reconnection attempts failed, within a minute only the first was logged.
      expect(lines.filter((l) => l.includes('still unavailable'))).toEqual([])
      expect(lines).toHaveLength(2)
      expect(await store.get('k')).toBeUndefined() // no persistence: the restarted Redis is empty
    } finally {
      await store.close()
    }
  }, 30_000)
})
