/**
 * tarpit: each refusal makes every later reply on the connection slower, growing geometrically
 * up to a cap. A legitimate client that hits one refusal barely notices; a dictionary attack or
 * a spam cannon that collects refusals spends its time waiting instead of sending. The delay is
 * applied by the engine through the core's `ctx.delayReplies(ms)`, so it costs no thread and no
 * busy loop, and any other plugin can add to it the same way.
 */
import { definePlugin, type HookName, isHookName } from '@postern/core'
import { peerDependencies } from '../package.json'

/** Connection notes: refusals counted, and the delay this plugin has added (ms). */
export const NOTE_COUNT = 'tarpit_count'
export const NOTE_DELAY = 'tarpit'

function seconds(text: string | undefined, key: string, fallback: number): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${key} must be a number of seconds, not ${text}`)
  return n
}

/** The total delay (ms) after the `n`th counted refusal: delay · factor^(n-1), capped. */
export function tarpitDelay(n: number, delayMs: number, factor: number, maxMs: number): number {
  if (n <= 0) return 0
  return Math.round(Math.min(maxMs, delayMs * factor ** (n - 1)))
}

export default definePlugin({
  name: 'tarpit',
  core: peerDependencies['@postern/core'],
  description: 'Slows the conversation a little more after each refusal',
  setup({ args }) {
    const delayMs = seconds(args.get('delay'), 'delay', 1) * 1000
    const maxMs = seconds(args.get('max'), 'max', 30) * 1000
    const factor = Number(args.get('factor') ?? 2)
    if (!Number.isFinite(factor) || factor < 1)
      throw new Error(`factor must be a number ≥ 1, not ${args.get('factor')}`)
    const grace = Number(args.get('grace') ?? 0)
    if (!Number.isInteger(grace) || grace < 0)
      throw new Error(`grace must be a whole number, not ${args.get('grace')}`)
    const only = args.get('hooks')
    const hooks = only ? new Set<HookName>() : undefined
    for (const name of only?.split(',') ?? []) {
      if (!isHookName(name.trim())) throw new Error(`hooks: unknown hook "${name}"`)
      hooks?.add(name.trim() as HookName)
    }
    return {
      deny(ctx, event) {
        if (hooks && !hooks.has(event.hook)) return
        if (ctx.isImmune()) return
        const notes = ctx.connection.notes
        const count = (notes.value<number>(NOTE_COUNT) ?? 0) + 1
        notes.set(NOTE_COUNT, count)
        const target = tarpitDelay(count - grace, delayMs, factor, maxMs)
        const added = notes.value<number>(NOTE_DELAY) ?? 0
        if (target <= added) return
        // delayReplies adds to what is already there, so add only the growth.
        ctx.delayReplies(target - added)
        notes.set(NOTE_DELAY, target)
        ctx.log.info(`refusal ${count} by ${event.plugin} at ${event.hook}: replies now delayed ${target} ms`)
      },
    }
  },
})
