/**
 * `config/nodialup_patterns`: one regular expression a line, matched case-insensitively anywhere
 * in the client's reverse DNS name. Checked at load: a pattern that does not compile, uses
 * backreferences, or may backtrack catastrophically (safe-regex2: nested quantifiers, more than
 * 25 repetitions) fails the load with its file and line. Names are at most 253 characters.
 */
import { ConfigError, type ConfigLine } from '@postern/core'
import safeRegex from 'safe-regex2'

export interface Pattern {
  readonly source: string
  readonly regex: RegExp
}

/** Used when the file is absent: words ISPs put in the names of dynamic and residential pools. */
export const DEFAULT_PATTERNS = [
  '(^|[.-])(dyn|dynamic|dynip|dhcp|dial|dialup|dial-up|ppp|pppoe|pool|dsl|adsl|vdsl|xdsl|cable|modem|broadband|residential|res|cust|customer|customers|client|clients|nat|wifi|mobile)[0-9]*([.-]|$)',
] as const

const MAX_LENGTH = 500

/** Compiles and checks one pattern; the error message says what is wrong with it. */
export function compilePattern(source: string): RegExp {
  if (source.length > MAX_LENGTH) throw new Error(`pattern longer than ${MAX_LENGTH} characters`)
  // Backreferences make matching exponential whatever the star height; none is needed here.
  if (/\\[1-9]|\\k</.test(source)) throw new Error('backreferences are not allowed')
  let regex: RegExp
  try {
    regex = new RegExp(source, 'i')
  } catch (err) {
    throw new Error(`bad regular expression: ${(err as Error).message}`)
  }
  if (!safeRegex(regex)) throw new Error('pattern may backtrack catastrophically (nested quantifiers)')
  return regex
}

export function parsePatterns(lines: readonly ConfigLine[]): Pattern[] {
  return lines.map((where) => {
    try {
      return { source: where.value, regex: compilePattern(where.value) }
    } catch (err) {
      throw new ConfigError(`${(err as Error).message}: ${where.value}`, where.file, where.line)
    }
  })
}

export function defaultPatterns(): Pattern[] {
  return DEFAULT_PATTERNS.map((source) => ({ source, regex: compilePattern(source) }))
}
