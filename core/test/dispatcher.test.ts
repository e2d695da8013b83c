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
  HookTimeoutError,
  isDenial,
  LOG,
  type LogEntry,
  type NotifyHookName,
  OK,
  type PluginHooks,
  type ReduceHookName,
  type ReturnCode,
} from '../src/index.js'
import { dispatcherWith, makeHost } from './helpers.js'

const ALL_CODES: ReturnCode[] = [OK, DENY, DENYSOFT, DENY_DISCONNECT, DENYSOFT_DISCONNECT, DECLINED, DONE]
const FIRST_HOOKS = HOOK_NAMES.filter((h): h is FirstHookName => HOOKS[h].kind === 'first')
const NOTIFY_HOOKS = HOOK_NAMES.filter((h): h is NotifyHookName => HOOKS[h].kind === 'notify')
const REDUCE_HOOKS = HOOK_NAMES.filter((h): h is ReduceHookName => HOOKS[h].kind === 'reduce')
/** First hooks that fire the deny/ok meta hooks (all but the meta and global ones). */
const JUDGED_HOOKS = FIRST_HOOKS.filter((h) => !['logging', 'config', 'user_config'].includes(h))

function argsFor(hook: HookName): unknown[] {
  // The dispatcher does not look at arguments; any values of the right arity do.
  return hook === 'logging' ? [{ level: 6, message: 'x', time: 0 }] : ['a', 'b']
}

type AnyRun<R> = (hook: HookName, host: unknown, ...args: unknown[]) => Promise<R>
const errors = (entries: readonly LogEntry[]) => entries.filter((e) => e.level <= LOG.ERROR)

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

describe('notify hooks: every hook × every return code', () => {
  const table = NOTIFY_HOOKS.flatMap((hook) => ALL_CODES.map((code) => ({ hook, code })))
  it.each(table)('$hook returning $code: ignored, every plugin runs', async ({ hook, code }) => {
    const calls: string[] = []
    const returning = (name: string) => () => {
      calls.push(name)
      return { code, message: 'ignored' }
    }
    const { d, entries } = dispatcherWith([
      { name: 'p1', hooks: { [hook]: returning('p1') } as PluginHooks },
      { name: 'p2', hooks: { [hook]: returning('p2') } as PluginHooks },
    ])
    const run = d.runNotify.bind(d) as AnyRun<void>
    expect(await run(hook, makeHost(), ...argsFor(hook))).toBeUndefined()
    expect(calls).toEqual(['p1', 'p2'])
    expect(errors(entries)).toEqual([])
  })
})

describe('reduce hooks: every hook threads its value', () => {
  // A start value and what a plugin adds to it, per value type.
  const grow = (hook: ReduceHookName, value: unknown, tag: string): unknown =>
    hook === 'capabilities' ? [...(value as string[]), tag] : `${value as string}+${tag}`
  const start = (hook: ReduceHookName): unknown => (hook === 'capabilities' ? ['PIPELINING'] : 'v')

  it.each(REDUCE_HOOKS)('%s: each handler gets the value so far; nothing keeps it', async (hook) => {
    const { d, entries } = dispatcherWith([
      { name: 'a', hooks: { [hook]: (_c: unknown, v: unknown) => grow(hook, v, 'a') } as PluginHooks },
      { name: 'b', hooks: { [hook]: () => undefined } as PluginHooks },
      { name: 'c', hooks: { [hook]: async (_c: unknown, v: unknown) => grow(hook, v, 'c') } as PluginHooks },
    ])
    const run = d.runReduce.bind(d) as AnyRun<unknown>
    const expected = grow(hook, grow(hook, start(hook), 'a'), 'c')
    expect(await run(hook, makeHost(), start(hook), ...argsFor(hook))).toEqual(expected)
    expect(errors(entries)).toEqual([])
  })

  const wrong = (hook: ReduceHookName): [string, unknown][] => [
    ['a verdict', { code: OK, message: 'yes' }],
    ['a number', 42],
    hook === 'capabilities' ? ['a string', 'STARTTLS'] : ['a list', ['v']],
  ]
  const table = REDUCE_HOOKS.flatMap((hook) => wrong(hook).map(([what, value]) => ({ hook, what, value })))
  it.each(table)(
    '$hook returning $what: logged with plugin and hook, value unchanged',
    async ({ hook, value }) => {
      const { d, entries } = dispatcherWith([
        { name: 'bad', hooks: { [hook]: () => value } as PluginHooks },
        {
          name: 'next',
          hooks: { [hook]: (_c: unknown, v: unknown) => grow(hook, v, 'next') } as PluginHooks,
        },
      ])
      const run = d.runReduce.bind(d) as AnyRun<unknown>
      expect(await run(hook, makeHost(), start(hook), ...argsFor(hook))).toEqual(
        grow(hook, start(hook), 'next'),
      )
      const logged = errors(entries)
      expect(logged).toHaveLength(1)
      expect(logged[0]).toMatchObject({ plugin: 'bad', hook })
      expect(logged[0]!.message).toMatch(/not (a string|an array of strings); value left unchanged/)
    },
  )

  it.each(REDUCE_HOOKS)('%s returning null keeps the value, like returning nothing', async (hook) => {
    const { d, entries } = dispatcherWith([{ name: 'p', hooks: { [hook]: () => null } as PluginHooks }])
    const run = d.runReduce.bind(d) as AnyRun<unknown>
    expect(await run(hook, makeHost(), start(hook), ...argsFor(hook))).toEqual(start(hook))
    expect(errors(entries)).toEqual([])
  })

  it('refuses an array with a non-string in it for capabilities', async () => {
    const { d, entries } = dispatcherWith([
      { name: 'bad', hooks: { capabilities: () => ['OK', 7] as unknown as string[] } },
    ])
    expect(await d.runReduce('capabilities', makeHost(), ['PIPELINING'])).toEqual(['PIPELINING'])
    expect(errors(entries)[0]?.message).toMatch(/returned an array, not an array of strings/)
  })
})

describe('deny and ok meta hooks: every deciding hook × every code', () => {
  const table = JUDGED_HOOKS.flatMap((hook) => ALL_CODES.map((code) => ({ hook, code })))
  it.each(table)('$hook returning $code', async ({ hook, code }) => {
    const events: string[] = []
    const { d } = dispatcherWith([
      { name: 'judge', hooks: { [hook]: () => ({ code, message: 'why' }) } as PluginHooks },
      {
        name: 'watcher',
        hooks: {
          deny: (_c, e) => void events.push(`deny ${e.plugin} ${e.hook} ${e.verdict.code}`),
          ok: (_c, e) => void events.push(`ok ${e.plugin} ${e.hook} ${e.verdict.code}`),
        },
      },
    ])
    const run = d.runFirst.bind(d) as AnyRun<unknown>
    await run(hook, makeHost(), ...argsFor(hook))
    const allowed = (HOOKS[hook].codes as readonly number[]).includes(code)
    if (code === DECLINED || !allowed) expect(events).toEqual([])
    else if (isDenial(code)) expect(events).toEqual([`deny judge ${hook} ${code}`])
    else expect(events).toEqual([`ok judge ${hook} ${code}`])
  })

  it.each(['logging', 'config', 'user_config'] as const)('%s answering OK fires neither', async (hook) => {
    const events: string[] = []
    const { d } = dispatcherWith([
      { name: 'judge', hooks: { [hook]: () => ({ code: OK, message: 'v' }) } as PluginHooks },
      { name: 'watcher', hooks: { deny: () => void events.push('deny'), ok: () => void events.push('ok') } },
    ])
    const run = d.runFirst.bind(d) as AnyRun<{ code: ReturnCode }>
    expect((await run(hook, makeHost(), ...argsFor(hook))).code).toBe(OK)
    expect(events).toEqual([])
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

  it('a slow hook times out with 451 and its signal aborts with a HookTimeoutError', async () => {
    let reason: unknown
    const { d, entries } = dispatcherWith([
      {
        name: 'slow',
        timeout: 30,
        hooks: {
          rcpt: (ctx) =>
            new Promise(() => {
              ctx.signal.addEventListener('abort', () => {
                reason = ctx.signal.reason
              })
            }),
        },
      },
    ])
    const r = await d.runFirst('rcpt', makeHost(), {} as never, new Map())
    expect(r).toMatchObject({ code: DENYSOFT, reply: 451, failure: 'timeout' })
    expect(reason).toBeInstanceOf(HookTimeoutError)
    expect((reason as Error).message).toBe('rcpt timed out after 30 ms')
    expect(errors(entries)).toEqual([
      expect.objectContaining({ plugin: 'slow', hook: 'rcpt', message: 'timed out after 30 ms' }),
    ])
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
    const { d, entries } = dispatcherWith([
      { name: 'p', args, hooks: { rcpt: (ctx) => ctx.reject('go away', '5.7.1') } },
    ])
    const host = makeHost()
    return d.runFirst('rcpt', host, {} as never, new Map()).then((r) => ({ r, host, entries }))
  }

  it('reject 1 (default) refuses with reject_type', async () => {
    expect((await reject([])).r).toMatchObject({ code: DENY, enhanced: '5.7.1' })
    expect((await reject(['reject_type', 'temp'])).r).toMatchObject({ code: DENYSOFT, enhanced: '4.7.1' })
    expect((await reject(['reject_type', 'disconnect'])).r.code).toBe(DENY_DISCONNECT)
  })

  it('reject 0 only logs; reject naughty defers', async () => {
    const off = await reject(['reject', '0'])
    expect(off.r.code).toBe(DECLINED)
    expect(off.host.connection.notes.has('naughty')).toBe(false)
    expect(off.entries.filter((e) => e.plugin === 'p')).toEqual([
      expect.objectContaining({ level: LOG.INFO, hook: 'rcpt', message: 'fail, tolerated, go away' }),
    ])
    const { r, host, entries } = await reject(['reject', 'naughty'])
    expect(r.code).toBe(DECLINED)
    expect(host.connection.notes.get('naughty')).toBe('go away')
    expect(entries.find((e) => e.plugin === 'p')?.message).toBe('fail, go away (deferred)')
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
