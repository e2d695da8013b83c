/**
 * The hook table as types. The root `tsc` compiles this file: every `@ts-expect-error` line
 * must be a compile error, or the typecheck fails ("unused directive"). At run time the same
 * mistakes, made by a plain-JS plugin, are caught by the dispatcher instead.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  type Address,
  DECLINED,
  type DenySoft,
  definePlugin,
  deny,
  denysoft,
  done,
  type HookCodes,
  type HookHandler,
  ok,
  type ReduceValue,
  type Verdict,
} from '../src/index.js'
import { dispatcherWith, makeHost } from './helpers.js'

describe('hook types', () => {
  it('an illegal code is a compile error, and DECLINED at run time', async () => {
    const plugin = definePlugin({
      name: 'wrong_code',
      core: '^1.0.0',
      hooks: {
        // @ts-expect-error data_headers_end may only refuse: OK is not one of its codes
        data_headers_end: () => ok(),
        // @ts-expect-error queue_pre may return OK or DONE, not a refusal
        queue_pre: () => deny('no'),
        // @ts-expect-error logging may only answer OK
        logging: () => done(),
      },
    })
    const { d, entries } = dispatcherWith([{ name: 'wrong_code', hooks: plugin.hooks! }])
    expect((await d.runFirst('data_headers_end', makeHost())).code).toBe(DECLINED)
    expect((await d.runFirst('queue_pre', makeHost())).code).toBe(DECLINED)
    expect(entries.filter((e) => /does not allow/.test(e.message)).map((e) => e.hook)).toEqual([
      'data_headers_end',
      'queue_pre',
    ])
  })

  it('wrong argument types are compile errors', () => {
    definePlugin({
      name: 'wrong_args',
      core: '^1.0.0',
      hooks: {
        // @ts-expect-error rcpt's recipient is an Address, not a string
        rcpt: (_ctx, recipient: string) => (recipient.endsWith('x') ? deny() : undefined),
        // @ts-expect-error helo's argument is the host name, a string
        helo: (_ctx, host: number) => (host > 1 ? deny() : undefined),
        // @ts-expect-error capabilities threads a string list, not one string
        capabilities: (_ctx, caps: string) => caps,
        // @ts-expect-error received_line must give back a string
        received_line: () => 42,
        // @ts-expect-error a SessionContext hook's transaction may be undefined
        ehlo: (ctx) => (ctx.transaction.recipients.length ? deny() : undefined),
      },
    })
    const { d } = dispatcherWith([])
    const host = makeHost()
    // @ts-expect-error runFirst takes first hooks only; data_post_headers is a notify hook
    void d.runFirst('data_post_headers', host)
    // @ts-expect-error the capabilities value is a string list
    void d.runReduce('capabilities', host, 'PIPELINING')
    // @ts-expect-error mail wants the sender and the parameters
    void d.runFirst('mail', host, 'a@example.com')
  })

  it('handlers infer their context and arguments from the hook', () => {
    expectTypeOf<HookCodes<'data_headers_end'>>().toEqualTypeOf<901 | 902 | 903 | 904>()
    expectTypeOf<ReduceValue<'capabilities'>>().toEqualTypeOf<readonly string[]>()
    expectTypeOf<Parameters<HookHandler<'rcpt'>>[1]>().toEqualTypeOf<Address>()
    expectTypeOf<HookCodes<'queue_pre'>>().toEqualTypeOf<900 | 910>()
    expectTypeOf(denysoft('later')).toEqualTypeOf<Verdict<DenySoft>>()
    const plugin = definePlugin({
      name: 'fine',
      core: '^1.0.0',
      hooks: {
        mail: (ctx, sender) => (sender.isNull && ctx.transaction.recipients.length === 0 ? undefined : ok()),
        data_headers_end: () => deny('spam', '5.7.1'),
        capabilities: (_ctx, caps) => [...caps, 'X-FINE'],
      },
    })
    expect(plugin.name).toBe('fine')
  })
})
