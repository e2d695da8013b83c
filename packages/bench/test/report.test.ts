/**
 * The harness's arithmetic and goal judgement, on made-up figures (the bench itself is where
 * speed is measured; nothing here times anything).
 */
import { describe, expect, it } from 'vitest'
import { memoryTable, type Results, throughputTable } from '../src/report.js'
import { median } from '../src/util.js'
import type { ServerRun } from '../src/workloads.js'

const run = (kind: ServerRun['kind'], seconds: number[]): ServerRun => ({
  kind,
  label: kind,
  seconds,
  cpuMs: seconds.map((s) => s * 100),
  rssAfter: 50 * 1048576,
  errors: [],
  notes: [],
})

function results(over: Partial<Results> = {}): Results {
  return {
    rounds: 3,
    throughput: [],
    idle: [],
    idleCount: 5000,
    big: [],
    bigBytes: 50 * 1048576,
    bigSettleMs: 5000,
    starts: new Map(),
    ...over,
  }
}

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })
})

describe('throughput table', () => {
  const load = { messages: 1000, sessions: 10, bytes: 1024, persistent: true }

  it('prints msg/s from the median round and judges the ratio goal', () => {
    const [, , row] = throughputTable(
      results({
        throughput: [
          {
            id: 1,
            label: '1',
            title: 'test',
            load,
            runs: [run('postern', [0.4, 0.5, 0.6]), run('haraka', [1.5, 1.5, 9]), run('sink', [0.25])],
            notes: [],
          },
        ],
      }),
    )
    // 1000 / 0.5 = 2000 msg/s; Haraka 1000 / 1.5 = 667; 2000 / 667 = 3.00×, over the 2.5× goal.
    expect(row).toContain('| 2,000 | 667 | 4,000 | 3.00× | ≥ 2.5× met | 0.50× | – |')
  })

  it('says when a goal is not met, and has no goal for the diagnostic row', () => {
    const rows = throughputTable(
      results({
        throughput: [
          { id: 2, label: '2', title: 't', load, runs: [run('postern', [1]), run('haraka', [1])], notes: [] },
          {
            id: 4,
            label: '4b',
            title: 't',
            load,
            runs: [run('postern', [1]), run('haraka', [1])],
            notes: [],
          },
        ],
      }),
    )
    expect(rows[2]).toContain('≥ 2× **not met**')
    expect(rows[3]).toContain('| 1.00× |  |')
  })
})

describe('memory table', () => {
  it('computes KB per idle connection and the growth of the big message', () => {
    const MB = 1048576
    const lines = memoryTable(
      results({
        idle: [
          {
            kind: 'postern',
            label: 'Postern',
            before: 60 * MB,
            held: 60 * MB + 5000 * 3072,
            afterClose: 61 * MB,
            greeted: 5000,
            count: 5000,
          },
        ],
        big: [
          {
            kind: 'postern',
            label: 'Postern',
            before: 70 * MB,
            peak: 75 * MB,
            after: 71 * MB,
            seconds: 0.5,
            reply: '250 ok',
          },
        ],
        starts: new Map([['postern', [150, 250, 180]]]),
      }),
    )
    expect(lines[2]).toContain('**3.0 KB/conn**')
    expect(lines[2]).toContain('≤ 4 KB/conn met')
    expect(lines[3]).toContain('(**+5.0 MB**)')
    expect(lines[3]).toContain('given back met')
    expect(lines[4]).toContain('median **180 ms**')
    expect(lines[4]).toContain('≤ 200 ms met')
  })
})
