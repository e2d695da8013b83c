/**
 * A structured logger with qpsmtpd's levels. Every entry names where it came from (connection,
 * plugin, hook) so one grep follows a session. The sink is pluggable: the engine routes entries
 * through the `logging` hook and falls back to stderr.
 */

export const LOG = {
  EMERG: 0,
  ALERT: 1,
  CRIT: 2,
  ERROR: 3,
  WARN: 4,
  NOTICE: 5,
  INFO: 6,
  DEBUG: 7,
} as const

export type LogLevel = (typeof LOG)[keyof typeof LOG]
const LEVEL_NAMES = ['emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug'] as const
export type LogLevelName = (typeof LEVEL_NAMES)[number]

export function levelName(level: LogLevel): LogLevelName {
  return LEVEL_NAMES[level]
}

/** `'warn'`, `'LOGWARN'`, `'4'` → 4; undefined if it is none of these. */
export function parseLevel(text: string): LogLevel | undefined {
  const t = text.trim().toLowerCase().replace(/^log/, '')
  if (/^[0-7]$/.test(t)) return Number(t) as LogLevel
  const i = LEVEL_NAMES.indexOf((t === 'warning' ? 'warn' : t === 'err' ? 'error' : t) as LogLevelName)
  return i >= 0 ? (i as LogLevel) : undefined
}

/** Where a log line came from. */
export interface LogBindings {
  readonly connection?: string
  readonly transaction?: string
  readonly plugin?: string
  readonly hook?: string
}

export interface LogEntry extends LogBindings {
  readonly time: number
  readonly level: LogLevel
  readonly message: string
  readonly fields?: Readonly<Record<string, unknown>>
}

export type LogSink = (entry: LogEntry) => void

/** The result words of qpsmtpd's one-summary-line-per-plugin convention. */
export type LogResult = 'pass' | 'fail' | 'fail, tolerated' | 'skip' | 'error' | 'info'

export interface Logger {
  readonly bindings: LogBindings
  /** True when an entry at this level would be written (to skip building costly messages). */
  enabled(level: LogLevel): boolean
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void
  emerg(message: string, fields?: Record<string, unknown>): void
  alert(message: string, fields?: Record<string, unknown>): void
  crit(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  notice(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  debug(message: string, fields?: Record<string, unknown>): void
  /**
   * The plugin's summary line, at INFO: `pass, sender in whitelist`. A `fail` or `error` is
   * what log summarisers count.
   */
  result(result: LogResult, message?: string, fields?: Record<string, unknown>): void
  child(bindings: LogBindings, adjust?: LevelAdjust): Logger
}

/** A plugin's `loglevel` argument: absolute (`6`) forces every entry to that level; `+1`/`-1` shifts. */
export type LevelAdjust = { readonly absolute: LogLevel } | { readonly relative: number } | undefined

export function parseLevelAdjust(text: string | undefined): LevelAdjust {
  if (text === undefined) return undefined
  const t = text.trim()
  if (/^[+-]\d$/.test(t)) return { relative: Number(t) }
  const absolute = parseLevel(t)
  return absolute === undefined ? undefined : { absolute }
}

function applyAdjust(level: LogLevel, adjust: LevelAdjust): LogLevel {
  if (!adjust) return level
  if ('absolute' in adjust) return adjust.absolute
  return Math.min(7, Math.max(0, level + adjust.relative)) as LogLevel
}

export interface LoggerOptions {
  /** Highest level written (default WARN, as qpsmtpd). */
  level?: LogLevel
  sink?: LogSink
}

/** One line per entry on stderr: `2026-11-27T05:00:00.000Z warn [conn] plugin/hook: message {fields}`. */
export const stderrSink: LogSink = (e) => {
  const where = [
    e.connection ? `[${e.transaction ?? e.connection}]` : '',
    e.plugin ? `${e.plugin}${e.hook ? `/${e.hook}` : ''}:` : '',
  ]
    .filter(Boolean)
    .join(' ')
  const fields = e.fields && Object.keys(e.fields).length ? ` ${safeJson(e.fields)}` : ''
  process.stderr.write(
    `${new Date(e.time).toISOString()} ${levelName(e.level)} ${where ? `${where} ` : ''}${e.message}${fields}\n`,
  )
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)
  } catch {
    return '"[unserialisable]"'
  }
}

/** The mutable part shared by a root logger and all its children. */
interface LoggerState {
  level: LogLevel
  sink: LogSink
}

/**
 * The level methods and the result line, written once on top of `log()`: every Logger in core
 * (bound and lazily bound) extends this.
 */
export abstract class LevelMethods {
  abstract log(level: LogLevel, message: string, fields?: Record<string, unknown>): void

  emerg(m: string, f?: Record<string, unknown>): void {
    this.log(LOG.EMERG, m, f)
  }
  alert(m: string, f?: Record<string, unknown>): void {
    this.log(LOG.ALERT, m, f)
  }
  crit(m: string, f?: Record<string, unknown>): void {
    this.log(LOG.CRIT, m, f)
  }
  error(m: string, f?: Record<string, unknown>): void {
    this.log(LOG.ERROR, m, f)
  }
  warn(m: string, f?: Record<string, unknown>): void {
    this.log(LOG.WARN, m, f)
  }
  notice(m: string, f?: Record<string, unknown>): void {
    this.log(LOG.NOTICE, m, f)
  }
  info(m: string, f?: Record<string, unknown>): void {
    this.log(LOG.INFO, m, f)
  }
  debug(m: string, f?: Record<string, unknown>): void {
    this.log(LOG.DEBUG, m, f)
  }

  result(result: LogResult, message?: string, fields?: Record<string, unknown>): void {
    this.log(LOG.INFO, message ? `${result}, ${message}` : result, fields)
  }
}

class BoundLogger extends LevelMethods implements Logger {
  constructor(
    protected readonly state: LoggerState,
    readonly bindings: LogBindings,
    private readonly adjust: LevelAdjust,
  ) {
    super()
  }

  enabled(level: LogLevel): boolean {
    return applyAdjust(level, this.adjust) <= this.state.level
  }

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    const effective = applyAdjust(level, this.adjust)
    if (effective > this.state.level) return
    const entry: LogEntry = fields
      ? { ...this.bindings, time: Date.now(), level: effective, message, fields }
      : { ...this.bindings, time: Date.now(), level: effective, message }
    this.state.sink(entry)
  }

  child(bindings: LogBindings, adjust?: LevelAdjust): Logger {
    return new BoundLogger(this.state, { ...this.bindings, ...bindings }, adjust ?? this.adjust)
  }
}

export interface RootLogger extends Logger {
  setLevel(level: LogLevel): void
  setSink(sink: LogSink): void
  readonly level: LogLevel
}

class RootLoggerImpl extends BoundLogger implements RootLogger {
  get level(): LogLevel {
    return this.state.level
  }
  setLevel(level: LogLevel): void {
    this.state.level = level
  }
  setSink(sink: LogSink): void {
    this.state.sink = sink
  }
}

export function createLogger(options: LoggerOptions = {}): RootLogger {
  return new RootLoggerImpl(
    { level: options.level ?? LOG.WARN, sink: options.sink ?? stderrSink },
    {},
    undefined,
  )
}
