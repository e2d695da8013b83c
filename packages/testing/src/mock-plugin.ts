/**
 * A stand-in plugin for tests: it records every call of the hooks it was given (hook name and
 * arguments) and answers with scripted verdicts, so a test can check what a plugin under test
 * leaves for the plugins after it, or give it the neighbours it expects, without writing one.
 */
import {
  type Declined,
  definePlugin,
  type FirstHookName,
  type HookArgs,
  type HookCodes,
  type HookHandler,
  type HookName,
  isHookName,
  type PluginDefinition,
  type PluginHooks,
  type ReduceHookName,
  type ReduceValue,
  type Verdict,
} from '@postern/core'

/** The verdicts a first hook K may return. */
export type MockVerdict<K extends FirstHookName> = Verdict<HookCodes<K> | Declined>

/**
 * What a mock does for hook K:
 * - a verdict (first hooks): returned on every call;
 * - a list of verdicts (first hooks): one per call, in order; `undefined` in the list and every
 *   call after the list ran out are DECLINED;
 * - a function: the hook itself, called with the context and arguments (for notify and reduce
 *   hooks, and for answers that depend on the arguments).
 */
export type MockHook<K extends HookName> =
  | HookHandler<K>
  | (K extends FirstHookName ? MockVerdict<K> | readonly (MockVerdict<K> | undefined)[] : never)

export type MockHooks = { [K in HookName]?: MockHook<K> }

/** The arguments hook K received after the context (a reduce hook's value first). */
export type MockArgs<K extends HookName> = K extends ReduceHookName
  ? [value: ReduceValue<K>, ...args: HookArgs<K>]
  : HookArgs<K>

/** One recorded call; `hook` narrows `args`. */
export type MockCall = { [K in HookName]: { readonly hook: K; readonly args: MockArgs<K> } }[HookName]

/** A plugin definition (give it wherever plugins go) that also holds what it saw. */
export interface MockPlugin extends PluginDefinition {
  /** Every call of every mocked hook, in order. */
  readonly calls: readonly MockCall[]
  /** The arguments of each call of one hook, in order. */
  callsOf<K extends HookName>(hook: K): MockArgs<K>[]
  /** Forgets the calls and starts verdict lists again from their first entry. */
  reset(): void
}

type AnyHandler = (ctx: unknown, ...args: unknown[]) => unknown

function scripted(hook: string, spec: unknown, turns: Map<string, number>): AnyHandler {
  if (typeof spec === 'function') return spec as AnyHandler
  if (Array.isArray(spec)) {
    return () => {
      const turn = turns.get(hook) ?? 0
      turns.set(hook, turn + 1)
      return spec[turn]
    }
  }
  return () => spec
}

/**
 * `mockPlugin('mock_rcpt', { rcpt: [deny('No'), ok()], disconnect: () => {} })`: a plugin named
 * `name` with those hooks. Its core range is `*`, so it loads under any simulated core version.
 */
export function mockPlugin(name: string, hooks: MockHooks): MockPlugin {
  const calls: MockCall[] = []
  const turns = new Map<string, number>()
  const registered: Record<string, AnyHandler> = {}
  for (const [hook, spec] of Object.entries(hooks)) {
    if (!isHookName(hook)) throw new TypeError(`mockPlugin(${name}): ${hook} is not a hook`)
    if (spec === undefined) continue
    const answer = scripted(hook, spec, turns)
    registered[hook] = (ctx, ...args) => {
      calls.push({ hook, args } as MockCall)
      return answer(ctx, ...args)
    }
  }
  return definePlugin({
    name,
    core: '*',
    hooks: registered as PluginHooks,
    calls,
    callsOf: <K extends HookName>(hook: K) =>
      calls.filter((c) => c.hook === hook).map((c) => c.args as MockArgs<K>),
    reset() {
      calls.length = 0
      turns.clear()
    },
  })
}
