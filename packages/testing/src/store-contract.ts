/**
 * The behaviour every `Store` backend must share, as vitest suites: core's MemoryStore, SQLite,
 * Redis and any third-party backend run the same cases, so plugins can rely on them whichever
 * `config/store` a site chooses. Call it at the top level of a test file.
 *
 * Expiry cases wait past a short TTL and look at the outcome; nothing asserts how long anything took.
 */
import type { Store, StoreEntry } from '@postern/core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

export interface StoreContractOptions {
  /** Called after each case with the store `open` gave (default: `store.close()`). */
  close?: (store: Store) => Promise<void>
  /** Runs once before the suite (start a server); a returned string skips the suite with that reason. */
  setup?: () => Promise<string | undefined | void>
  /** Runs once after the suite (stop a server). */
  teardown?: () => Promise<void>
  /**
   * TTL used by the expiry cases, in ms (default 250); the cases wait three times as long. Two
   * calls in a row must fit well inside it, even on a loaded CI machine.
   */
  shortTtl?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function collect(it: AsyncIterable<StoreEntry>): Promise<StoreEntry[]> {
  const out: StoreEntry[] = []
  for await (const e of it) out.push(e)
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

/**
 * Defines the contract suite for one backend. `open` is called before each case and must give a
 * store with no keys under the prefixes the cases use (each case uses a fresh random prefix, so a
 * shared server need not be flushed).
 */
export function storeContract(
  name: string,
  open: () => Promise<Store>,
  closeOrOptions?: ((store: Store) => Promise<void>) | StoreContractOptions,
): void {
  const options: StoreContractOptions =
    typeof closeOrOptions === 'function' ? { close: closeOrOptions } : (closeOrOptions ?? {})
  const ttl = options.shortTtl ?? 250
  const close = options.close ?? ((s: Store) => s.close())

  describe(`Store contract: ${name}`, () => {
    let skipReason: string | undefined
    let store: Store | undefined
    let p = ''

    beforeAll(async () => {
      skipReason = (await options.setup?.()) || undefined
    })
    afterAll(async () => {
      await options.teardown?.()
    })
    beforeEach(async (ctx) => {
      if (skipReason) {
        ctx.skip(skipReason)
        return
      }
      store = await open()
      p = `contract:${Math.random().toString(36).slice(2)}:`
    })
    afterEach(async () => {
      if (store) await close(store)
      store = undefined
    })
    const s = () => store!

    it('get of a missing key is undefined', async () => {
      expect(await s().get(`${p}missing`)).toBeUndefined()
    })

    it('set then get returns the value; set again overwrites it', async () => {
      await s().set(`${p}a`, 'one')
      expect(await s().get(`${p}a`)).toBe('one')
      await s().set(`${p}a`, 'two')
      expect(await s().get(`${p}a`)).toBe('two')
    })

    it('keeps values byte for byte: empty, unicode, separators, long', async () => {
      const values = ['', 'héllo wörld ✉', 'a|b:c\nd\te', 'x'.repeat(10_000), '{"json":[1,2]}']
      for (const [i, v] of values.entries()) await s().set(`${p}v${i}`, v)
      for (const [i, v] of values.entries()) expect(await s().get(`${p}v${i}`)).toBe(v)
    })

    it('keys are opaque: glob, regex and SQL characters are ordinary', async () => {
      const keys = ['a*b', 'a?b', 'a[b]', 'a%b', 'a_b', "a'b", 'a\\b', '__proto__', 'constructor']
      for (const k of keys) await s().set(`${p}${k}`, k)
      for (const k of keys) expect(await s().get(`${p}${k}`)).toBe(k)
      expect(await s().get(`${p}aXb`)).toBeUndefined()
    })

    it('a value set with a TTL is there before it expires and gone after', async () => {
      await s().set(`${p}long`, 'v', { ttl: 60_000 })
      await s().set(`${p}short`, 'v', { ttl })
      expect(await s().get(`${p}long`)).toBe('v')
      await sleep(ttl * 3)
      expect(await s().get(`${p}short`)).toBeUndefined()
      expect(await s().get(`${p}long`)).toBe('v')
    })

    it('set without a TTL makes a key permanent again', async () => {
      await s().set(`${p}k`, 'v', { ttl })
      await s().set(`${p}k`, 'w')
      await sleep(ttl * 3)
      expect(await s().get(`${p}k`)).toBe('w')
    })

    it('incr creates at 0 and adds `by` (default 1), returning the new value', async () => {
      expect(await s().incr(`${p}n`)).toBe(1)
      expect(await s().incr(`${p}n`)).toBe(2)
      expect(await s().incr(`${p}n`, 5)).toBe(7)
      expect(await s().incr(`${p}n`, -10)).toBe(-3)
      expect(await s().get(`${p}n`)).toBe('-3')
      expect(await s().incr(`${p}m`, 4)).toBe(4)
    })

    it('incr works on a value written with set', async () => {
      await s().set(`${p}n`, '41')
      expect(await s().incr(`${p}n`)).toBe(42)
    })

    it('incr of a value that is not an integer rejects and leaves it', async () => {
      await s().set(`${p}t`, 'abc')
      await expect(s().incr(`${p}t`)).rejects.toThrow(/integer/)
      expect(await s().get(`${p}t`)).toBe('abc')
    })

    it('incr is atomic: concurrent increments are all counted', async () => {
      const n = 200
      const results = await Promise.all(Array.from({ length: n }, () => s().incr(`${p}c`)))
      expect(await s().get(`${p}c`)).toBe(String(n))
      expect(new Set(results).size).toBe(n) // every caller saw a distinct value
    })

    it('incr sets the TTL only when it creates the key: the window starts at the first event', async () => {
      expect(await s().incr(`${p}w`, 1, { ttl })).toBe(1)
      // A later TTL does not extend the window.
      expect(await s().incr(`${p}w`, 1, { ttl: 60_000 })).toBe(2)
      await sleep(ttl * 3)
      expect(await s().get(`${p}w`)).toBeUndefined()
      // Expired: the next incr starts again at `by`, with its own TTL.
      expect(await s().incr(`${p}w`, 3, { ttl: 60_000 })).toBe(3)
    })

    it('incr without a TTL keeps a TTL the key already had', async () => {
      await s().incr(`${p}k`, 1, { ttl })
      await s().incr(`${p}k`)
      await sleep(ttl * 3)
      expect(await s().get(`${p}k`)).toBeUndefined()
    })

    it('delete says whether the key existed', async () => {
      await s().set(`${p}d`, 'v')
      expect(await s().delete(`${p}d`)).toBe(true)
      expect(await s().get(`${p}d`)).toBeUndefined()
      expect(await s().delete(`${p}d`)).toBe(false)
      expect(await s().delete(`${p}never`)).toBe(false)
    })

    it('scan yields exactly the live keys under a prefix, with values and expiry', async () => {
      const before = Date.now()
      await s().set(`${p}x:1`, 'a')
      await s().set(`${p}x:2`, 'b', { ttl: 60_000 })
      await s().incr(`${p}x:3`, 7)
      await s().set(`${p}x`, 'not under x:')
      await s().set(`${p}y:1`, 'other')
      await s().set(`${p}x:gone`, 'soon', { ttl })
      await sleep(ttl * 3)
      const got = await collect(s().scan(`${p}x:`))
      expect(got.map((e) => [e.key, e.value])).toEqual([
        [`${p}x:1`, 'a'],
        [`${p}x:2`, 'b'],
        [`${p}x:3`, '7'],
      ])
      expect(got[0]!.expiresAt).toBeUndefined()
      expect(got[2]!.expiresAt).toBeUndefined()
      const exp = got[1]!.expiresAt!
      expect(exp).toBeGreaterThan(before + 50_000)
      expect(exp).toBeLessThanOrEqual(Date.now() + 60_000 + 1000)
    })

    it('scan treats glob and LIKE characters in the prefix literally', async () => {
      await s().set(`${p}a*:1`, '1')
      await s().set(`${p}a?:1`, '2')
      await s().set(`${p}a[b]:1`, '3')
      await s().set(`${p}a%:1`, '4')
      await s().set(`${p}a_:1`, '5')
      await s().set(`${p}ab:1`, 'not matched by any of the above')
      for (const [prefix, value] of [
        ['a*:', '1'],
        ['a?:', '2'],
        ['a[b]:', '3'],
        ['a%:', '4'],
        ['a_:', '5'],
      ] as const) {
        const got = await collect(s().scan(`${p}${prefix}`))
        expect(got.map((e) => e.value)).toEqual([value])
      }
    })

    it('scan of a prefix with no keys yields nothing; scan sees many keys once each', async () => {
      expect(await collect(s().scan(`${p}none:`))).toEqual([])
      const n = 1200
      await Promise.all(Array.from({ length: n }, (_, i) => s().set(`${p}many:${i}`, String(i))))
      const got = await collect(s().scan(`${p}many:`))
      expect(got.length).toBe(n)
      expect(new Set(got.map((e) => e.key)).size).toBe(n)
    })

    it('the store can be written while a scan is being read', async () => {
      for (let i = 0; i < 20; i++) await s().set(`${p}live:${i}`, String(i))
      let seen = 0
      for await (const e of s().scan(`${p}live:`)) {
        seen++
        await s().delete(e.key)
        await s().set(`${p}other:${e.key}`, 'x')
      }
      expect(seen).toBe(20)
      expect(await collect(s().scan(`${p}live:`))).toEqual([])
    })
  })
}
