import { describe, expect, it } from 'vitest'
import { clientNetwork, formatRecord, parseRecord, step } from '../src/index.js'

const t = { black: 100, grey: 1000, white: 10_000 }

describe('greylisting record', () => {
  it('walks unknown → black → grey(pass, white) → white', () => {
    const first = step(undefined, 0, t)
    expect(first.verdict).toEqual({ pass: false, why: 'new', retryIn: 100 })
    expect(first.ttl).toBe(1000)
    const black = step(first.record, 40, t)
    expect(black.verdict).toEqual({ pass: false, why: 'black', retryIn: 60 })
    expect(black.record).toMatchObject({ ts: 0, black: 1, white: 0 }) // first-seen time does not move
    const grey = step(black.record, 150, t)
    expect(grey.verdict).toEqual({ pass: true, why: 'grey' })
    expect(grey.record).toMatchObject({ ts: 150, white: 1 })
    const white = step(grey.record, 5000, t)
    expect(white.verdict).toEqual({ pass: true, why: 'white' })
    expect(white.record).toMatchObject({ ts: 5000, white: 2 })
    expect(white.ttl).toBe(10_000)
  })

  it('starts over after the grey window or the white period runs out', () => {
    const first = step(undefined, 0, t)
    expect(step(first.record, 1000, t).verdict).toMatchObject({ pass: false, why: 'new' })
    const white = step(step(first.record, 150, t).record, 150, t)
    const stale = step(white.record, 150 + 10_000, t)
    expect(stale.verdict).toMatchObject({ pass: false, why: 'new' })
    expect(stale.record.seen).toBe(2)
  })

  it('is stored as ts:new:black:white', () => {
    expect(formatRecord({ ts: 1, seen: 2, black: 3, white: 4 })).toBe('1:2:3:4')
    expect(parseRecord('1:2:3:4')).toEqual({ ts: 1, seen: 2, black: 3, white: 4 })
    expect(parseRecord('garbage')).toBeUndefined()
  })
})

describe('clientNetwork', () => {
  it('keys on the address, or on its network with a shorter prefix', () => {
    expect(clientNetwork('192.0.2.77', 32, 64)).toBe('192.0.2.77')
    expect(clientNetwork('192.0.2.77', 24, 64)).toBe('192.0.2.0/24')
    expect(clientNetwork('::ffff:192.0.2.77', 16, 64)).toBe('192.0.0.0/16')
    expect(clientNetwork('2001:db8:1:2:3:4:5:6', 32, 64)).toBe('2001:db8:1:2::/64')
    expect(clientNetwork('2001:DB8::1', 32, 128)).toBe('2001:db8::1')
    expect(clientNetwork('not-an-ip', 32, 64)).toBeUndefined()
  })
})
