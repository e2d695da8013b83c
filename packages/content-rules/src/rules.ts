/**
 * Rule tables in qpsmtpd's `pattern CODE message` shape (as rcpt_regexp and badrcptto_patterns
 * write them): the first rule whose pattern matches decides, with its return code and message.
 *
 *   text/plain               OK
 *   image/*                  OK
 *   /^application\/x-ms/i    DENY   No Windows executables here
 *   *                        DECLINED
 *
 * A pattern is a literal or a `*` wildcard (both compared case-insensitively), or a `/regex/`
 * (Perl syntax as qpsmtpd wrote it, matched case-insensitively). Regexes are compiled and checked
 * for catastrophic backtracking by @postern/address-lists when the file is read; a bad line fails
 * the load (or, on a later edit, keeps the last good table) naming its file and line.
 */

import { compilePattern } from '@postern/address-lists'
import { ConfigError, type ConfigLine, codeName, DONE, parseCode, type ReturnCode } from '@postern/core'
import { globMatch } from './glob.js'

export interface Rule {
  /** The pattern as written. */
  readonly pattern: string
  readonly code: ReturnCode
  /** The text after the code, if any. */
  readonly message: string | undefined
  readonly file: string
  readonly line: number
  test(value: string): boolean
}

export interface ParseRulesOptions {
  /** Codes a rule may name (default: every code but DONE). */
  codes?: readonly ReturnCode[]
  /** Longest value a regex is run on; longer values are cut (default 256 characters). */
  maxInput?: number
}

function matcher(pattern: string, where: ConfigLine, maxInput: number): (value: string) => boolean {
  if (pattern.length > 1 && pattern.startsWith('/')) {
    if (pattern.lastIndexOf('/') === 0)
      throw new ConfigError(`pattern ${pattern} has no closing /`, where.file, where.line)
    const { regex } = compilePattern(pattern, where)
    // Values are cut to a bound the pattern check was made for (short SMTP-sized subjects).
    return (value) => regex.test(value.slice(0, maxInput))
  }
  const lower = pattern.toLowerCase()
  if (lower.includes('*')) return (value) => globMatch(lower, value.toLowerCase())
  return (value) => value.toLowerCase() === lower
}

export function parseRules(lines: readonly ConfigLine[], options: ParseRulesOptions = {}): Rule[] {
  const allowed = options.codes
  const maxInput = options.maxInput ?? 256
  return lines.map((l) => {
    const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(l.value)
    if (!m)
      throw new ConfigError(
        `expected "pattern CODE [message]", got ${JSON.stringify(l.value)}`,
        l.file,
        l.line,
      )
    const [, pattern, codeText, message] = m as unknown as [string, string, string, string | undefined]
    const code = parseCode(codeText)
    if (code === undefined) throw new ConfigError(`unknown return code ${codeText}`, l.file, l.line)
    if (allowed ? !allowed.includes(code) : code === DONE)
      throw new ConfigError(`return code ${codeName(code)} is not allowed here`, l.file, l.line)
    const test = matcher(pattern, l, maxInput)
    return { pattern, code, message: message?.trim() || undefined, file: l.file, line: l.line, test }
  })
}

/** The first rule that matches `value`, or undefined. */
export function firstMatch(rules: readonly Rule[], value: string): Rule | undefined {
  for (const rule of rules) if (rule.test(value)) return rule
  return undefined
}
