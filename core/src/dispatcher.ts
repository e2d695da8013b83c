/**
 * The hook dispatcher: runs a hook's handlers in order, by kind.
 * - first: until a handler returns something other than DECLINED; reports who decided.
 * - notify: every handler; results ignored.
 * - reduce: a value threaded through every handler.
 * Every call has a deadline and an AbortSignal. A throw or a timeout is logged with plugin and
 * hook and answered 451 4.3.0 (or skipped, if the plugin's `on_error` says `continue`). A code the
 * hook may not return is logged and treated as DECLINED. The process never dies of a plugin.
 */

import type { Address } from './address.js'
import {
  DECLINED,
  DENYSOFT,
  type EnhancedCode,
  isDenial,
  isReturnCode,
  messageLines,
  type ReturnCode,
  type Verdict,
} from './codes.js'
import type { Connection } from './connection.js'
import type { PluginInstanceInfo, SessionHost } from './context.js'
import { deferReject, parseRejectMode, parseRejectType, refusal } from './conventions.js'
import { deadline } from './deadlines.js'
import type { RefusalCode } from './dsn.js'
import type {
  FirstHookName,
  HookArgs,
  HookName,
  HookOption,
  NotifyHookName,
  PluginHooks,
  ReduceHookName,
  ReduceValue,
  VerdictEvent,
} from './hook-types.js'
import { HOOKS, isHookName, META_HOOKS } from './hooks.js'
import { isImmune } from './immune.js'
import { type LevelAdjust, LevelMethods, type LogBindings, type Logger, type LogLevel } from './logger.js'
import type { Transaction } from './transaction.js'

/** What a first hook decided, after the dispatcher's checks. */
export interface HookResult {
  readonly code: ReturnCode
  readonly message: readonly string[]
  readonly enhanced?: EnhancedCode
  readonly reply?: number
  /** The plugin instance that decided (undefined when every handler declined). */
  readonly plugin?: string
  /** Set when the dispatcher decided because a plugin failed. */
  readonly failure?: 'error' | 'timeout'
}

export const DECLINED_RESULT: HookResult = Object.freeze({ code: DECLINED, message: [] })

/** A loaded plugin as the dispatcher knows it. */
export interface RegisteredPlugin {
  readonly info: PluginInstanceInfo
  /** Bound to the plugin; the dispatcher adds connection and hook. */
  readonly log: Logger
  readonly logAdjust?: LevelAdjust
  /** Default deadline of this plugin's hooks, in ms. */
  readonly timeout: number
  /** `on_error continue`: a failure counts as DECLINED instead of 451. */
  readonly continueOnError: boolean
}

type AnyHandler = (...args: unknown[]) => unknown

interface Registration {
  readonly plugin: RegisteredPlugin
  readonly handler: AnyHandler
  readonly order: 'pre' | 'normal' | 'post'
  readonly timeout: number
}

const TIMED_OUT = Symbol('timeout')

/** The reason a hook's `ctx.signal` aborts with when the hook's time is up. */
export class HookTimeoutError extends Error {
  override readonly name = 'HookTimeoutError'
}

/** A reduce hook's entry in HOOKS, seen without its hook-specific value type. */
interface ReduceSpec {
  readonly accepts: (value: unknown) => boolean
  readonly expects: string
}

export interface DispatcherOptions {
  /** The server's logger; plugin and connection are bound per call. */
  log: Logger
}

/**
 * A logger whose bindings are made on first use: an entry below the level costs one level check.
 * `base` is the plugin's logger; the bound child shares its level and adjustment, so
 * `base.enabled()` answers for it.
 */
class LazyLogger extends LevelMethods implements Logger {
  #bound: Logger | undefined

  constructor(
    private readonly base: Logger,
    private readonly bind: () => Logger,
  ) {
    super()
  }

  #get(): Logger {
    if (!this.#bound) this.#bound = this.bind()
    return this.#bound
  }

  get bindings(): LogBindings {
    return this.#get().bindings
  }

  enabled(level: LogLevel): boolean {
    return this.base.enabled(level)
  }

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (this.base.enabled(level)) this.#get().log(level, message, fields)
  }

  child(bindings: LogBindings, adjust?: LevelAdjust): Logger {
    return this.#get().child(bindings, adjust)
  }
}

/** The context object handed to one handler call. */
class CallContext {
  #log: Logger | undefined
  #controller: AbortController | undefined
  #unlink: (() => void) | undefined

  constructor(
    readonly registration: Registration,
    readonly hook: HookName,
    readonly host: SessionHost | undefined,
  ) {}

  get plugin(): PluginInstanceInfo {
    return this.registration.plugin.info
  }

  get connection(): Connection {
    if (!this.host) throw new Error(`hook ${this.hook} has no connection`)
    return this.host.connection
  }

  get transaction(): Transaction | undefined {
    return this.host?.transaction
  }

  get log(): Logger {
    if (!this.#log) {
      // Most plugins log a result line per call at INFO, below the usual level: binding the
      // connection and hook is put off until a line is actually written.
      this.#log = new LazyLogger(this.registration.plugin.log, () => {
        const c = this.host?.connection
        return this.registration.plugin.log.child(
          c
            ? { connection: c.id, transaction: this.host?.transaction?.id, hook: this.hook }
            : { hook: this.hook },
        )
      })
    }
    return this.#log
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      const controller = new AbortController()
      this.#controller = controller
      const outer = this.host?.signal
      if (outer) {
        if (outer.aborted) controller.abort(outer.reason)
        else {
          const onAbort = () => controller.abort(outer.reason)
          outer.addEventListener('abort', onAbort, { once: true })
          this.#unlink = () => outer.removeEventListener('abort', onAbort)
        }
      }
    }
    return this.#controller.signal
  }

  /** Aborts the signal (timeout) and unhooks it from the session's. */
  finish(reason?: Error): void {
    if (reason) this.#controller?.abort(reason)
    this.#unlink?.()
  }

  respond(code: number, message: string | readonly string[], enhanced?: EnhancedCode): Promise<void> {
    if (!this.host) throw new Error(`hook ${this.hook} cannot reply`)
    return this.host.respond(code, message, enhanced)
  }

  delayReplies(ms: number): void {
    this.host?.delayReplies(ms)
  }

  isImmune(recipient?: Address): boolean {
    return this.host ? isImmune(this.host.connection, this.host.transaction, recipient) : false
  }

  reject(message: string, enhanced?: EnhancedCode, logMessage?: string): Verdict<RefusalCode> | undefined {
    const args = this.plugin.args
    const mode = parseRejectMode(args)
    const code = parseRejectType(args.get('reject_type'))
    if (mode === 'off') {
      this.log.result('fail, tolerated', logMessage ?? message)
      return undefined
    }
    if (mode === 'naughty') {
      this.log.result('fail', `${logMessage ?? message} (deferred)`)
      this.deferReject(message, code, enhanced)
      return undefined
    }
    this.log.result('fail', logMessage ?? message)
    return refusal(code, message, enhanced)
  }

  deferReject(message: string, code?: RefusalCode, enhanced?: EnhancedCode): void {
    if (this.host) deferReject(this.host.connection, message, code, enhanced)
  }
}

export class HookDispatcher {
  readonly #log: Logger
  readonly #plugins: RegisteredPlugin[] = []
  readonly #registrations = new Map<HookName, Registration[]>()

  constructor(options: DispatcherOptions) {
    this.#log = options.log
  }

  /** Plugins in registration (config) order. */
  get plugins(): readonly RegisteredPlugin[] {
    return this.#plugins
  }

  /** Adds a plugin's hooks. Unknown hook names are refused (they would never run). */
  register(plugin: RegisteredPlugin, hooks: PluginHooks): void {
    for (const name of Object.keys(hooks)) {
      if (!isHookName(name)) throw new Error(`plugin ${plugin.info.instance}: unknown hook "${name}"`)
    }
    this.#plugins.push(plugin)
    for (const name of Object.keys(hooks) as HookName[]) {
      const option = hooks[name] as HookOption<HookName> | undefined
      if (!option) continue
      const handler = (typeof option === 'function' ? option : option.handler) as AnyHandler
      if (typeof handler !== 'function')
        throw new Error(`plugin ${plugin.info.instance}: hook "${name}" is not a function`)
      const order = typeof option === 'function' ? 'normal' : (option.order ?? 'normal')
      const timeout = typeof option === 'function' ? plugin.timeout : (option.timeout ?? plugin.timeout)
      const list = this.#registrations.get(name) ?? []
      list.push({ plugin, handler, order, timeout })
      // Stable sort: pre, then normal, then post; config order within each group.
      const rank = { pre: 0, normal: 1, post: 2 }
      list.sort((a, b) => rank[a.order] - rank[b.order])
      this.#registrations.set(name, list)
    }
  }

  has(hook: HookName): boolean {
    return (this.#registrations.get(hook)?.length ?? 0) > 0
  }

  /** The plugin instances registered for a hook, in the order they run. */
  order(hook: HookName): string[] {
    return (this.#registrations.get(hook) ?? []).map((r) => r.plugin.info.instance)
  }

  /** Hooks a plugin instance registered. */
  hooksOf(instance: string): HookName[] {
    const out: HookName[] = []
    for (const [hook, regs] of this.#registrations)
      if (regs.some((r) => r.plugin.info.instance === instance)) out.push(hook)
    return out
  }

  /** Runs a first hook until a handler decides. */
  async runFirst<K extends FirstHookName>(
    hook: K,
    host: SessionHost | undefined,
    ...args: HookArgs<K>
  ): Promise<HookResult> {
    const regs = this.#registrations.get(hook)
    if (!regs) return DECLINED_RESULT
    const allowed = HOOKS[hook].codes as readonly ReturnCode[]
    for (const reg of regs) {
      let outcome = this.#call(reg, hook, host, args)
      // Plain (non-async) handlers are answered without a trip through the microtask queue.
      if (isThenable(outcome)) outcome = await outcome
      let result: HookResult | undefined
      if (outcome === TIMED_OUT || outcome instanceof Error) {
        result = this.#failure(reg, hook, outcome === TIMED_OUT ? 'timeout' : outcome, host)
      } else result = this.#check(reg, hook, outcome, allowed, host)
      if (result.code === DECLINED) continue
      if (!META_HOOKS.has(hook) && host) await this.#meta(result, hook, host)
      return result
    }
    return DECLINED_RESULT
  }

  /** Runs every handler of a notification hook; failures are logged and skipped. */
  async runNotify<K extends NotifyHookName>(
    hook: K,
    host: SessionHost | undefined,
    ...args: HookArgs<K>
  ): Promise<void> {
    const regs = this.#registrations.get(hook)
    if (!regs) return
    for (const reg of regs) {
      const outcome = await this.#call(reg, hook, host, args)
      if (outcome === TIMED_OUT || outcome instanceof Error)
        this.#report(reg, hook, outcome === TIMED_OUT ? 'timeout' : outcome, host)
    }
  }

  /** Threads a value through every handler; a failing handler leaves it unchanged. */
  async runReduce<K extends ReduceHookName>(
    hook: K,
    host: SessionHost | undefined,
    value: ReduceValue<K>,
    ...args: HookArgs<K>
  ): Promise<ReduceValue<K>> {
    const regs = this.#registrations.get(hook)
    if (!regs) return value
    const spec: ReduceSpec = HOOKS[hook]
    let current = value
    for (const reg of regs) {
      let outcome = this.#call(reg, hook, host, [current, ...args])
      if (isThenable(outcome)) outcome = await outcome
      if (outcome === TIMED_OUT || outcome instanceof Error) {
        this.#report(reg, hook, outcome === TIMED_OUT ? 'timeout' : outcome, host)
        continue
      }
      if (outcome === undefined || outcome === null) continue // nothing: keep the value
      if (spec.accepts(outcome)) current = outcome as ReduceValue<K>
      else
        this.#logFor(reg, hook, host).error(
          `returned ${describe(outcome)}, not ${spec.expects}; value left unchanged`,
        )
    }
    return current
  }

  /** Calls one handler with its deadline. Returns its value, an Error it threw, or TIMED_OUT. */
  #call(reg: Registration, hook: HookName, host: SessionHost | undefined, args: readonly unknown[]): unknown {
    const ctx = new CallContext(reg, hook, host)
    let value: unknown
    try {
      value = reg.handler(ctx, ...args)
    } catch (err) {
      ctx.finish()
      return toError(err)
    }
    if (!isThenable(value)) {
      ctx.finish()
      return value
    }
    // Only asynchronous handlers get a deadline (one shared timer serves them all).
    return new Promise((resolve) => {
      let settled = false
      const cancel = deadline(reg.timeout, () => {
        if (settled) return
        settled = true
        ctx.finish(new HookTimeoutError(`${hook} timed out after ${reg.timeout} ms`))
        resolve(TIMED_OUT)
      })
      value.then(
        (v) => {
          if (settled) return // a late answer after the timeout is ignored
          settled = true
          cancel()
          ctx.finish()
          resolve(v)
        },
        (err) => {
          if (settled) return
          settled = true
          cancel()
          ctx.finish()
          resolve(toError(err))
        },
      )
    })
  }

  #check(
    reg: Registration,
    hook: HookName,
    value: unknown,
    allowed: readonly ReturnCode[],
    host: SessionHost | undefined,
  ): HookResult {
    if (value === undefined || value === null) return DECLINED_RESULT
    const code = (value as Verdict).code
    if (typeof value !== 'object' || !isReturnCode(code)) {
      this.#logFor(reg, hook, host).error(`returned ${describe(value)}, not a verdict; treated as DECLINED`)
      return DECLINED_RESULT
    }
    if (code === DECLINED) return DECLINED_RESULT
    if (!allowed.includes(code)) {
      this.#logFor(reg, hook, host).error(
        `returned code ${code}, which ${hook} does not allow; treated as DECLINED`,
      )
      return DECLINED_RESULT
    }
    const v = value as Verdict
    const result: { -readonly [P in keyof HookResult]: HookResult[P] } = {
      code,
      message: oneLine(v.message) ?? messageLines(v.message),
      plugin: reg.plugin.info.instance,
    }
    if (v.enhanced) result.enhanced = v.enhanced
    if (v.reply) result.reply = v.reply
    return result
  }

  #failure(
    reg: Registration,
    hook: HookName,
    error: Error | 'timeout',
    host: SessionHost | undefined,
  ): HookResult {
    this.#report(reg, hook, error, host)
    if (reg.plugin.continueOnError) return DECLINED_RESULT
    return {
      code: DENYSOFT,
      message: ['Internal error, try again later'],
      enhanced: '4.3.0',
      reply: 451,
      plugin: reg.plugin.info.instance,
      failure: error === 'timeout' ? 'timeout' : 'error',
    }
  }

  #report(reg: Registration, hook: HookName, error: Error | 'timeout', host: SessionHost | undefined): void {
    const log = this.#logFor(reg, hook, host)
    if (error === 'timeout') log.error(`timed out after ${reg.timeout} ms`)
    else log.crit(`failed: ${error.stack ?? error.message}`)
  }

  #logFor(reg: Registration, hook: HookName, host: SessionHost | undefined): Logger {
    const c = host?.connection
    return this.#log.child({
      plugin: reg.plugin.info.instance,
      hook,
      ...(c ? { connection: c.id, transaction: host?.transaction?.id } : {}),
    })
  }

  async #meta(result: HookResult, hook: HookName, host: SessionHost): Promise<void> {
    const meta = isDenial(result.code) ? 'deny' : 'ok'
    if (!this.has(meta)) return
    const verdict: Verdict = {
      code: result.code,
      message: result.message,
      ...(result.enhanced ? { enhanced: result.enhanced } : {}),
      ...(result.reply ? { reply: result.reply } : {}),
    }
    const event: VerdictEvent = { plugin: result.plugin ?? '', hook, verdict }
    await this.runNotify(meta, host, event)
  }
}

/** A verdict's message that is one clean line, as nearly all are: skips messageLines' split. */
function oneLine(message: Verdict['message']): string[] | undefined {
  if (message === undefined) return []
  if (typeof message === 'string' && !message.includes('\n') && !message.includes('\r')) return [message]
  return undefined
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object')
    return isReturnCode((value as { code?: unknown }).code) ? 'a verdict' : 'an object without a valid code'
  return `${typeof value} ${String(value).slice(0, 40)}`
}
