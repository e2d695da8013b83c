import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from '../src/index.js'

describe('parseDuration', () => {
  it('reads units, combinations and bare seconds', () => {
    expect(parseDuration('30m')).toBe(1_800_000)
    expect(parseDuration(' 1H30m ')).toBe(5_400_000)
    expect(parseDuration('2d')).toBe(172_800_000)
    expect(parseDuration('1w')).toBe(604_800_000)
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration('45')).toBe(45_000)
  })

  it('is undefined for anything else', () => {
    for (const bad of ['', 'soon', '1y', '-5m', '1h 30m', 'm']) expect(parseDuration(bad)).toBeUndefined()
  })
})

describe('formatDuration', () => {
  it('writes the largest units first', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m')
    expect(formatDuration(90_061_000)).toBe('1d1h1m1s')
    expect(formatDuration(300_000)).toBe('5m')
    expect(formatDuration(0)).toBe('0ms')
    expect(formatDuration(999)).toBe('999ms')
    expect(formatDuration(1000)).toBe('1s')
  })
})
