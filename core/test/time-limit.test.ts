import { describe, expect, it } from 'vitest'
import { DeadlineError, deadlineSignal, withDeadline } from '../src/index.js'

const never = new Promise<never>(() => {})

describe('withDeadline', () => {
  it('settles like the work when it is in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 1000)).resolves.toBe(7)
    await expect(withDeadline(Promise.reject(new Error('down')), 1000)).rejects.toThrow('down')
    // A non-Error rejection still arrives as an Error.
    await expect(withDeadline(Promise.reject('down'), 1000)).rejects.toBeInstanceOf(Error)
  })

  it('rejects with a DeadlineError naming the work after the time', async () => {
    const err = await withDeadline(never, 20).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DeadlineError)
    expect((err as Error).message).toBe('store did not answer within 20 ms')
    await expect(withDeadline(never, 20, undefined, 'resolver')).rejects.toThrow(
      'resolver did not answer within 20 ms',
    )
  })

  it('rejects when the signal aborts, also when it already has', async () => {
    const c = new AbortController()
    const p = withDeadline(never, 10_000, c.signal)
    c.abort()
    await expect(p).rejects.toThrow('hook aborted while waiting for the store')
    await expect(withDeadline(never, 10_000, AbortSignal.abort())).rejects.toBeInstanceOf(DeadlineError)
  })
})

describe('deadlineSignal', () => {
  it('aborts with a TimeoutError after the time', async () => {
    const outer = new AbortController()
    const d = deadlineSignal(outer.signal, 20, 'delivery took longer than 20 ms')
    await new Promise((r) => d.signal.addEventListener('abort', r))
    expect(d.signal.reason).toMatchObject({
      name: 'TimeoutError',
      message: 'delivery took longer than 20 ms',
    })
    d.done()
  })

  it('follows the outer signal, and done() lets go of it', async () => {
    const outer = new AbortController()
    const d = deadlineSignal(outer.signal, 10_000)
    outer.abort(new Error('client gone'))
    expect(d.signal.reason).toEqual(new Error('client gone'))
    d.done()
    const later = new AbortController()
    const e = deadlineSignal(later.signal, 10_000)
    e.done()
    later.abort()
    expect(e.signal.aborted).toBe(false)
    expect(deadlineSignal(AbortSignal.abort('gone'), 10_000).signal.reason).toBe('gone')
  })
})
