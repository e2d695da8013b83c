import { createLogger, type LogEntry, PluginArgs } from '@postern/core'
import { describe, expect, it } from 'vitest'
import {
  createZoneBreakers,
  DEFAULT_ZONE_COOLDOWN_MS,
  DEFAULT_ZONE_FAILURES,
  type ListAnswer,
  parseZoneBreakerArgs,
} from '../src/index.js'

// The breaker's own state machine, on a clock the test moves. The plugins' tests run it against
// the real black hole and SERVFAIL servers of @postern/test-peers.

const FAILED: ListAnswer = { status: 'error', code: 'ETIMEOUT' }
const CLEAR: ListAnswer = { status: 'clear' }

function setup(failures = 3, cooldownMs = 60_000) {
  let time = 0
  const logs: LogEntry[] = []
  const log = createLogger({ level: 7, sink: (e) => logs.push(e) })
  const breakers = createZoneBreakers({ failures, cooldownMs, log, now: () => time })
  let asked = 0
  /** Asks `name` in `zone`; the lookup answers `answer` (and counts as asked). */
  const ask = (zone: string, name: string, answer: ListAnswer) =>
    breakers.ask(zone, name, async () => {
      asked++
      return answer
    })
  return {
    breakers,
    ask,
    asked: () => asked,
    wait: (ms: number) => {
      time += ms
    },
    lines: (re: RegExp) => logs.filter((e) => re.test(e.message)),
  }
}

/** A lookup the test settles by hand. */
function pending() {
  let settle!: (answer: ListAnswer) => void
  const promise = new Promise<ListAnswer>((resolve) => {
    settle = resolve
  })
  return { promise, settle, lookup: () => promise }
}

describe('zone breaker', () => {
  it('skips a zone after N failed names in a row, without asking it, and says so once', async () => {
    const b = setup(3)
    for (const name of ['a', 'b', 'c']) expect(await b.ask('bl.test', name, FAILED)).toEqual(FAILED)
    expect(b.asked()).toBe(3)
    for (const name of ['d', 'e', 'f']) expect(await b.ask('bl.test', name, CLEAR)).toBeUndefined()
    expect(b.asked()).toBe(3)
    const opened = b.lines(/bl\.test: 3 lookups in a row failed \(last: ETIMEOUT\): skipped for 1m/)
    expect(opened).toHaveLength(1)
    expect(opened[0]!.level).toBe(4)
  })

  it('takes any answer (NXDOMAIN, listed, odd) as the zone working: the count starts again', async () => {
    const b = setup(3)
    const answers: ListAnswer[] = [
      { status: 'clear' },
      { status: 'listed', codes: ['127.0.0.2'], text: undefined },
      { status: 'odd', codes: ['127.255.255.254'] },
    ]
    let n = 0
    for (const answer of answers) {
      await b.ask('bl.test', `x${n++}`, FAILED)
      await b.ask('bl.test', `x${n++}`, FAILED)
      await b.ask('bl.test', `x${n++}`, answer)
    }
    expect(await b.ask('bl.test', 'last', CLEAR)).toEqual(CLEAR)
    expect(b.asked()).toBe(10)
  })

  it('counts a name that keeps failing once (the resolver answers it from its failure cache)', async () => {
    const b = setup(3)
    for (let i = 0; i < 5; i++) await b.ask('bl.test', 'same', FAILED)
    await b.ask('bl.test', 'other', FAILED)
    expect(await b.ask('bl.test', 'third', FAILED)).toEqual(FAILED)
    expect(await b.ask('bl.test', 'fourth', CLEAR)).toBeUndefined()
  })

  it('lets one probe through after the cool-down; a failed probe skips the zone again', async () => {
    const b = setup(2, 1000)
    await b.ask('bl.test', 'a', FAILED)
    await b.ask('bl.test', 'b', FAILED)
    b.wait(999)
    expect(await b.ask('bl.test', 'c', CLEAR)).toBeUndefined()
    b.wait(1)
    const probe = pending()
    const probing = b.breakers.ask('bl.test', 'probe', probe.lookup)
    // While the probe is out, the other clients are still skipped.
    let others = 0
    expect(
      await b.breakers.ask('bl.test', 'd', async () => {
        others++
        return CLEAR
      }),
    ).toBeUndefined()
    probe.settle(FAILED)
    expect(await probing).toEqual(FAILED)
    expect(await b.ask('bl.test', 'e', CLEAR)).toBeUndefined()
    expect(b.lines(/bl\.test still does not answer \(ETIMEOUT\): skipped for another 1s/)).toHaveLength(1)
    expect(b.lines(/lookups in a row failed/)).toHaveLength(1)
    b.wait(1000)
    expect(await b.ask('bl.test', 'f', CLEAR)).toEqual(CLEAR)
    expect(others).toBe(0)
  })

  it('puts the zone back in use when the probe answers, and says so once', async () => {
    const b = setup(2, 1000)
    await b.ask('bl.test', 'a', FAILED)
    await b.ask('bl.test', 'b', FAILED)
    b.wait(1000)
    expect(await b.ask('bl.test', 'probe', CLEAR)).toEqual(CLEAR)
    for (const name of ['c', 'd', 'e']) expect(await b.ask('bl.test', name, CLEAR)).toEqual(CLEAR)
    const back = b.lines(/bl\.test answers again: back in use/)
    expect(back).toHaveLength(1)
    expect(back[0]!.level).toBe(4)
    // Closed again: it takes N new failures to skip it.
    await b.ask('bl.test', 'f', FAILED)
    expect(await b.ask('bl.test', 'g', FAILED)).toEqual(FAILED)
    expect(await b.ask('bl.test', 'h', CLEAR)).toBeUndefined()
    expect(b.lines(/lookups in a row failed/)).toHaveLength(2)
  })

  it('ignores lookups that began before the zone changed state', async () => {
    const b = setup(2, 1000)
    const late = [pending(), pending(), pending()]
    const flying = late.map((p, i) => b.breakers.ask('bl.test', `late${i}`, p.lookup))
    late[0]!.settle(FAILED)
    late[1]!.settle(FAILED)
    await Promise.all(flying.slice(0, 2))
    // Skipped now; the third began before, and its answer neither closes the zone nor logs.
    late[2]!.settle(CLEAR)
    await flying[2]
    expect(await b.ask('bl.test', 'x', CLEAR)).toBeUndefined()
    expect(b.lines(/answers again/)).toHaveLength(0)
  })

  it('sends another probe a cool-down later when one never comes back', async () => {
    const b = setup(1, 1000)
    await b.ask('bl.test', 'a', FAILED)
    b.wait(1000)
    const lost = pending()
    void b.breakers.ask('bl.test', 'lost', lost.lookup)
    expect(await b.ask('bl.test', 'b', CLEAR)).toBeUndefined()
    b.wait(1000)
    expect(await b.ask('bl.test', 'second probe', CLEAR)).toEqual(CLEAR)
    // The first probe's late failure is old news.
    lost.settle(FAILED)
    await lost.promise
    expect(await b.ask('bl.test', 'c', CLEAR)).toEqual(CLEAR)
  })

  it('keeps each zone to itself', async () => {
    const b = setup(2)
    await b.ask('dead.test', 'a', FAILED)
    await b.ask('dead.test', 'b', FAILED)
    expect(await b.ask('dead.test', 'c', CLEAR)).toBeUndefined()
    expect(await b.ask('bl.test', 'c', CLEAR)).toEqual(CLEAR)
  })

  it('never skips with failures or cool-down 0', async () => {
    for (const [failures, cooldown] of [
      [0, 60_000],
      [3, 0],
    ] as const) {
      const b = setup(failures, cooldown)
      for (let i = 0; i < 10; i++) await b.ask('bl.test', `n${i}`, FAILED)
      expect(b.asked()).toBe(10)
    }
  })

  it('counts a lookup that throws as a failure, and passes the error on', async () => {
    const b = setup(1)
    await expect(
      b.breakers.ask('bl.test', 'a', () => Promise.reject(new Error('resolver gone'))),
    ).rejects.toThrow('resolver gone')
    expect(await b.ask('bl.test', 'b', CLEAR)).toBeUndefined()
    expect(b.lines(/last: resolver gone/)).toHaveLength(1)
  })
})

describe('zone_failures and zone_cooldown', () => {
  const parse = (words: string) => parseZoneBreakerArgs(new PluginArgs(words.split(' ').filter(Boolean)))

  it('default to 5 failures and 60 s', () => {
    expect(parse('')).toEqual({ failures: DEFAULT_ZONE_FAILURES, cooldownMs: DEFAULT_ZONE_COOLDOWN_MS })
    expect([DEFAULT_ZONE_FAILURES, DEFAULT_ZONE_COOLDOWN_MS]).toEqual([5, 60_000])
  })

  it('read a count and a duration (seconds, decimals, units), 0 for off', () => {
    expect(parse('zone_failures 3 zone_cooldown 30')).toEqual({ failures: 3, cooldownMs: 30_000 })
    expect(parse('zone_cooldown 0.5')).toMatchObject({ cooldownMs: 500 })
    expect(parse('zone_cooldown 2m')).toMatchObject({ cooldownMs: 120_000 })
    expect(parse('zone_failures 0 zone_cooldown 0')).toEqual({ failures: 0, cooldownMs: 0 })
  })

  it('refuse what is no count or duration', () => {
    for (const bad of ['-1', '2.5', 'many', '0x5', '10001'])
      expect(() => parse(`zone_failures ${bad}`)).toThrow(`zone_failures must be a whole number`)
    for (const bad of ['-1', 'soon', '5min'])
      expect(() => parse(`zone_cooldown ${bad}`)).toThrow('zone_cooldown must be seconds')
  })
})
