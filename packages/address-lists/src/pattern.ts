/**
 * Patterns as qpsmtpd's list files write them: Perl regular expressions, bare
 * (`^admin.*\.example\.com$`) or between slashes (`/^user\d+\@example\.com$/`). They are
 * compiled to JavaScript RegExps once, at load. A line that is not a valid regex, or whose regex
 * can backtrack catastrophically, is a ConfigError naming the file and line: it never fails, or
 * hangs, at mail time.
 *
 * Safety is checked with recheck (an automaton-based ReDoS checker, with a fuzzer as fallback).
 * Exponential patterns are refused. Polynomial ones are accepted up to degree 2: the subjects are
 * SMTP paths (at most 256 characters, RFC 5321 §4.5.3.1.3), so a 2nd-degree pattern costs at
 * most ~65,000 steps, while a 3rd-degree one can cost millions per RCPT.
 */
import { createRequire } from 'node:module'
import { ConfigError } from '@postern/core'
import type { Diagnostics } from 'recheck'

type Recheck = typeof import('recheck')
// recheck is a large Scala.js bundle (~180 ms to load on a 2-core machine): it is loaded with the
// first pattern, so a server whose list files hold no patterns starts without paying for it.
let recheck: Recheck | undefined
function loadRecheck(): Recheck {
  recheck ??= createRequire(import.meta.url)('recheck') as Recheck
  return recheck
}

export interface PatternOptions {
  /** Highest polynomial degree accepted (default 2). */
  maxDegree?: number
  /** Time the checker may spend on one pattern, in ms (default 5000). */
  checkTimeout?: number
}

export interface CompiledPattern {
  /** The pattern as written in the file. */
  readonly source: string
  readonly regex: RegExp
}

/** Where a pattern came from, for the error message. */
export interface PatternOrigin {
  readonly file?: string
  readonly line?: number
}

/** Longest pattern accepted: longer ones are almost certainly a mistake and slow to check. */
const MAX_PATTERN_LENGTH = 1000

// Verdicts are cached by compiled source and flags: a reload re-checks only new patterns.
const checked = new Map<string, string | undefined>()

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
}

/**
 * Translates the Perl constructs that mean something else (or nothing) in JavaScript:
 * `\A`, `\z`, `\Z`, `\Q…\E` and POSIX classes such as `[[:alpha:]]`. Everything else is passed
 * through; what JavaScript cannot parse is reported by the RegExp constructor.
 */
export function perlToJs(source: string): string {
  let out = ''
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!
    if (ch !== '\\') {
      out += ch
      continue
    }
    const next = source[i + 1]
    if (next === undefined) {
      out += ch // a trailing backslash: let RegExp report it
      continue
    }
    i++
    if (next === 'A') out += '^'
    else if (next === 'z' || next === 'Z') out += '$'
    else if (next === 'Q') {
      const end = source.indexOf('\\E', i + 1)
      const literal = end < 0 ? source.slice(i + 1) : source.slice(i + 1, end)
      out += literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
      i = end < 0 ? source.length : end + 1
    } else out += `\\${next}`
  }
  return out.replace(/\[:(\^?)([a-z]+):\]/g, (whole, negate: string, name: string) => {
    const cls = POSIX_CLASSES[name]
    if (cls === undefined || negate) return whole
    return cls
  })
}

/** `/re/flags` → [re, flags]; anything else → [text, '']. */
export function splitSlashed(text: string): [string, string] | undefined {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(text)
  return m ? [m[1]!, m[2]!] : undefined
}

function describe(d: Diagnostics): string {
  if (d.status === 'vulnerable') {
    const c = d.complexity
    const kind =
      c.type === 'exponential' ? 'exponential' : `${c.degree}${ordinal(c.degree)}-degree polynomial`
    return `${kind} backtracking (attack string: ${d.attack.pattern})`
  }
  if (d.status === 'unknown') return `its backtracking could not be bounded (${d.error.kind})`
  return 'safe'
}

function ordinal(n: number): string {
  return n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'
}

/** Returns why the pattern is unsafe, or undefined when it is safe enough. */
export function unsafeReason(
  jsSource: string,
  flags: string,
  options: PatternOptions = {},
): string | undefined {
  const maxDegree = options.maxDegree ?? 2
  const key = `${maxDegree}/${flags}/${jsSource}`
  if (checked.has(key)) return checked.get(key)
  const d = loadRecheck().checkSync(jsSource, flags, { timeout: options.checkTimeout ?? 5000 })
  let reason: string | undefined
  if (d.status === 'unknown') reason = describe(d)
  else if (d.status === 'vulnerable') {
    const c = d.complexity
    if (c.type === 'exponential' || c.degree > maxDegree) reason = describe(d)
  }
  checked.set(key, reason)
  return reason
}

/**
 * Compiles a pattern from a list file, case-insensitively (qpsmtpd lower-cases the address
 * before matching). Accepts `/re/` with the flags `i` and `s`, or a bare regex. Throws a
 * ConfigError with the file and line for invalid or unsafe patterns.
 */
export function compilePattern(
  text: string,
  origin: PatternOrigin = {},
  options: PatternOptions = {},
): CompiledPattern {
  const fail = (why: string) => new ConfigError(`pattern ${text}: ${why}`, origin.file, origin.line)
  if (text.length > MAX_PATTERN_LENGTH) throw fail(`longer than ${MAX_PATTERN_LENGTH} characters`)
  const slashed = splitSlashed(text)
  const body = slashed ? slashed[0] : text
  let flags = 'i'
  for (const f of slashed?.[1] ?? '') {
    if (f === 'i') continue
    if (f === 's') flags += flags.includes('s') ? '' : 's'
    else throw fail(`unsupported flag "${f}" (use i or s)`)
  }
  const js = perlToJs(body)
  let regex: RegExp
  try {
    regex = new RegExp(js, flags)
  } catch (err) {
    throw fail(
      `not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`,
    )
  }
  const unsafe = unsafeReason(js, flags, options)
  if (unsafe) throw fail(`refused: ${unsafe}; rewrite it without nested or overlapping repetition`)
  return { source: text, regex }
}
