import { DENY, DENYSOFT } from '@postern/core'
import { describe, expect, it } from 'vitest'
import { formatState, parseEvents, parseState, take } from '../src/index.js'

const cfg = { rate: 3, period: 60_000, burst: 3 }

describe('token bucket', () => {
  it('allows a burst, then refuses until tokens refill at the rate', () => {
    let state = undefined as ReturnType<typeof take>['state'] | undefined
    const at = (now: number) => {
      const r = take(cfg, state, now)
      state = r.state
      return r.conform
    }
    expect([at(0), at(1), at(2)]).toEqual([true, true, true])
    expect(at(3)).toBe(false)
    expect(at(19_000)).toBe(false) // 0.95 tokens
    expect(at(20_004)).toBe(true) // one token per 20 s
    expect(at(20_005)).toBe(false)
  })

  it('never holds more than the burst after a long quiet spell', () => {
    const r = take(cfg, { tokens: 0, at: 0 }, 10 * 60_000)
    expect(r.state.tokens).toBe(2)
  })

  it('says how long the state must be kept: until the bucket is full again', () => {
    expect(take(cfg, undefined, 0).refillIn).toBe(20_000)
    expect(take(cfg, { tokens: 0, at: 0 }, 0).refillIn).toBe(60_000)
  })

  it('stores state as tokens|at', () => {
    expect(formatState({ tokens: 1.5, at: 1000 })).toBe('1.5|1000')
    expect(parseState('1.5|1000')).toEqual({ tokens: 1.5, at: 1000 })
    expect(parseState('junk')).toBeUndefined()
    expect(parseState(undefined)).toBeUndefined()
  })
})

describe('events', () => {
  const ev = (hook: 'rcpt' | 'helo' | 'mail', plugin: string, code: 901 | 902 = DENY) => ({
    hook,
    plugin,
    verdict: { code },
  })

  it('counts permanent refusals of the named hooks, from any or from named plugins', () => {
    const m = parseEvents('rcpt, helo:helo', false)
    expect(m.matches(ev('rcpt', 'check_goodrcptto'))).toBe(true)
    expect(m.matches(ev('rcpt', 'x', DENYSOFT))).toBe(false)
    expect(m.matches(ev('helo', 'helo'))).toBe(true)
    expect(m.matches(ev('helo', 'helo:2'))).toBe(true)
    expect(m.matches(ev('helo', 'other'))).toBe(false)
    expect(m.matches(ev('mail', 'x'))).toBe(false)
  })

  it('counts soft refusals with soft 1, and every hook with *', () => {
    const m = parseEvents('*', true)
    expect(m.matches(ev('mail', 'x', DENYSOFT))).toBe(true)
    expect(() => parseEvents(' , ', false)).toThrow(/at least one hook/)
  })
})
