import { describe, expect, it } from 'vitest'
import {
  DECLINED,
  DENY,
  DENY_DISCONNECT,
  DENYSOFT,
  DENYSOFT_DISCONNECT,
  DONE,
  type FirstHookName,
  HOOK_NAMES,
  HOOKS,
  type HookName,
  OK,
  type PluginHooks,
  type ReturnCode,
} from '../src/index.js'
import { dispatcherWith, makeHost } from './helpers.js'

const ALL_CODES: ReturnCode[] = [OK, DENY, DENYSOFT, DENY_DISCONNECT, DENYSOFT_DISCONNECT, DECLINED, DONE]
const FIRST_HOOKS = HOOK_NAMES.filter((h): h is FirstHookName => HOOKS[h].kind === 'first')

function argsFor(hook: HookName): unknown[] {
  // The dispatcher does not look at arguments; any values of the right arity do.
  return hook === 'logging' ? [{ level: 6, message: 'x', time: 0 }] : ['a', 'b']
}

describe('first hooks: every hook × every return code', () => {
  const table = FIRST_HOOKS.flatMap((hook) => ALL_CODES.map((code) => ({ hook, code })))
  it.each(table)('$hook returning $code', async ({ hook, code }) => {
    const hooks = { [hook]: () => ({ code, message: 'why' }) } as PluginHooks
    const { d, entries } = dispatcherWith([{ name: 'p1', hooks }])
    const run = d.runFirst.bind(d) as (
      h: FirstHookName,
      host: unknown,
      ...a: unknown[]
    ) => ReturnType<typeof d.runFirst>
    const result = await run(hook, makeHost(), ...argsFor(hook))
    const allowed = (HOOKS[hook].codes as readonly number[]).includes(code)
    if (code === DECLINED || !allowed) {
      expect(result.code).toBe(DECLINED)
      expect(result.plugin).toBeUndefined()
      if (code !== DECLINED) expect(entries.some((e) => e.message.includes('does not allow'))).toBe(true)
    } else {
      expect(result).toMatchObject({ code, plugin: 'p1', message: ['why'] })
    }
  })
})

describe('dispatch order and kinds', () => {
  it('stops at the first decision and reports who decided', async () => {
    const calls: string[] = []
    const { d } = dispatcherWith([
      { name: 'a', hooks: { rcpt: () => void calls.push('a') } },
      {
        name: 'b',
        hooks: {
          rcpt: () => {
            calls.push('b')
            return { code: DENY, message: 'no' }
          },
        },
      },
      { name: 'c', hooks: { rcpt: () => void calls.push('c') } },
    ])
    const r = await d.runFirst('rcpt', makeHost(), {} as never, new Map())
    expect(calls).toEqual(['a', 'b'])
    expect(r).toMatchObject({ code: DENY, plugin: 'b' })
  })

  it('runs pre before normal before post, config order within a group', async () => {
    const calls: string[] = []
    const hook = (name: string) => () => void calls.push(name)
    const { d } = dispatcherWith([
      { name: 'late', hooks: { data: { handler: hook('late'), order: 'post' } } },
      { name: 'one', hooks: { data: hook('one') } },
      { name: 'early', hooks: { data: { handler: hook('early'), order: 'pre' } } },
      { name: 'two', hooks: { data: hook('two') } },
    ])
    await d.runFirst('data', makeHost())
    expect(calls).toEqual(['early', 'one', 'two', 'late'])
    expect(d.order('data')).toEqual(['early', 'one', 'two', 'late'])
  })

  it('notify hooks run every handler even when one throws', async () => {
    const calls: string[] = []
    const { d, entries } = dispatcherWith([
      { name: 'a', hooks: { disconnect: () => void calls.push('a') } },
      {
        name: 'b',
        hooks: {
          disconnect: () => {
            throw new Error('boom')
          },
        },
      },
      { name: 'c', hooks: { disconnect: async () => void calls.push('c') } },
    ])
    await d.runNotify('disconnect', makeHost())
    expect(calls).toEqual(['a', 'c'])
    expect(entries.find((e) => e.plugin === 'b' && e.hook === 'disconnect')?.message).toMatch(/boom/)
  })

  it('reduce hooks thread a value; nothing keeps it', async () => {
    const { d } = dispatcherWith([
      { name: 'a', hooks: { capabilities: (_ctx, caps) => [...caps, 'X-ONE'] } },
      { name: 'b', hooks: { capabilities: () => undefined } },
      { name: 'c', hooks: { capabilities: async (_ctx, caps) => [...caps, 'X-TWO'] } },
    ])
    expect(await d.runReduce('capabilities', makeHost(), ['PIPELINING'])).toEqual([
      'PIPELINING',
      'X-ONE',
      'X-TWO',
    ])
  })

  it('fires deny and ok meta hooks after a decision', async () => {
    const events: string[] = []
    const { d } = dispatcherWith([
      { name: 'judge', hooks: { mail: () => ({ code: DENYSOFT }), helo: () => ({ code: OK }) } },
      {
        name: 'watcher',
        hooks: {
          deny: (_c, e) => void events.push(`deny ${e.plugin} ${e.hook} ${e.verdict.code}`),
          ok: (_c, e) => void events.push(`ok ${e.plugin} ${e.hook}`),
        },
      },
    ])
    await d.runFirst('mail', makeHost(), {} as never, new Map())
    await d.runFirst('helo', makeHost(), 'x')
    expect(events).toEqual([`deny judge mail ${DENYSOFT}`, 'ok judge helo'])
  })
})

describe('failures', () => {
  it('a throw is logged with plugin and hook and answered 451 4.3.0', async () => {
    const { d, entries } = dispatcherWith([
      {
        name: 'bad',
        hooks: {
          rcpt: () => {
            throw new Error('db down')
          },
        },
      },
    ])
    const r = await d.runFirst('rcpt', makeHost(), {} as never, new Map())
    expect(r).toMatchObject({
      code: DENYSOFT,
      reply: 451,
      enhanced: '4.3.0',
      plugin: 'bad',
      failure: 'error',
    })
    expect(entries.some((e) => e.plugin === 'bad' && e.hook === 'rcpt' && /db down/.test(e.message))).toBe(
      true,
    )
  })

  it('a rejected promise is handled the same way', async () => {
    const { d } = dispatcherWith([
      { name: 'bad', hooks: { data: async () => Promise.reject(new Error('x')) } },
    ])
    expect((await d.runFirst('data', makeHost())).failure).toBe('error')
  })

  it('a slow hook times out with 451 and its signal aborts', async () => {
    let aborted = false
    const { d } = dispatcherWith([
      {
        name: 'slow',
        timeout: 30,
        hooks: {
          rcpt: (ctx) =>
            new Promise(() => {
              ctx.signal.addEventListener('abort', () => {
                aborted = true
              })
            }),
        },
      },
    ])
    const r = await d.runFirst('rcpt', makeHost(), {} as never, new Map())
    expect(r).toMatchObject({ code: DENYSOFT, reply: 451, failure: 'timeout' })
    expect(aborted).toBe(true)
  })

  it('on_error continue skips a failing plugin', async () => {
    const { d } = dispatcherWith([
      {
        name: 'flaky',
        onError: 'continue',
        hooks: {
          rcpt: () => {
            throw new Error('x')
          },
        },
      },
      { name: 'ok', hooks: { rcpt: () => ({ code: OK }) } },
    ])
    expect(await d.runFirst('rcpt', makeHost(), {} as never, new Map())).toMatchObject({
      code: OK,
      plugin: 'ok',
    })
  })

  it('a non-verdict return value is logged and treated as DECLINED', async () => {
    const hooks = { rcpt: () => 'yes' } as unknown as PluginHooks
    const { d, entries } = dispatcherWith([{ name: 'odd', hooks }])
    expect((await d.runFirst('rcpt', makeHost(), {} as never, new Map())).code).toBe(DECLINED)
    expect(entries.some((e) => /not a verdict/.test(e.message))).toBe(true)
  })

  it('refuses unknown hook names at registration', () => {
    expect(() =>
      dispatcherWith([{ name: 'typo', hooks: { rcpt_to: () => undefined } as unknown as PluginHooks }]),
    ).toThrow(/unknown hook "rcpt_to"/)
  })

  it('the session signal aborts a running hook when the client goes away', async () => {
    const host = makeHost()
    const controller = new AbortController()
    const h = { ...host, signal: controller.signal }
    let seen: unknown
    const { d } = dispatcherWith([
      {
        name: 'p',
        hooks: {
          data: (ctx) =>
            new Promise((resolve) => {
              ctx.signal.addEventListener('abort', () => {
                seen = ctx.signal.reason
                resolve(undefined)
              })
              controller.abort(new Error('client gone'))
            }),
        },
      },
    ])
    await d.runFirst('data', h)
    expect((seen as Error).message).toBe('client gone')
  })
})

describe('context conventions', () => {
  const reject = (args: string[]) => {
    const { d } = dispatcherWith([
      { name: 'p', args, hooks: { rcpt: (ctx) => ctx.reject('go away', '5.7.1') } },
    ])
    const host = makeHost()
    return d.runFirst('rcpt', host, {} as never, new Map()).then((r) => ({ r, host }))
  }

  it('reject 1 (default) refuses with reject_type', async () => {
    expect((await reject([])).r).toMatchObject({ code: DENY, enhanced: '5.7.1' })
    expect((await reject(['reject_type', 'temp'])).r).toMatchObject({ code: DENYSOFT, enhanced: '4.7.1' })
    expect((await reject(['reject_type', 'disconnect'])).r.code).toBe(DENY_DISCONNECT)
  })

  it('reject 0 only logs; reject naughty defers', async () => {
    expect((await reject(['reject', '0'])).r.code).toBe(DECLINED)
    const { r, host } = await reject(['reject', 'naughty'])
    expect(r.code).toBe(DECLINED)
    expect(host.connection.notes.get('naughty')).toBe('go away')
  })

  it('isImmune follows relay client and whitelist notes', async () => {
    const seen: boolean[] = []
    const { d } = dispatcherWith([{ name: 'p', hooks: { data: (ctx) => void seen.push(ctx.isImmune()) } }])
    const host = makeHost()
    await d.runFirst('data', host)
    host.connection.notes.set('whitelisthost', true)
    await d.runFirst('data', host)
    expect(seen).toEqual([false, true])
  })
})
