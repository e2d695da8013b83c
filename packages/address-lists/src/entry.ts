/**
 * One entry of a qpsmtpd address list (badmailfrom, badrcptto, goodrcptto, whitelistsenders…):
 * a full address, `@host`, a bare word (a user name or a host, depending on the file), or a
 * pattern. What counts as a pattern follows qpsmtpd, which treated an entry as a regex when it
 * held any of `/ ^ $ * + ! % ? \`; Postern leaves `+` out of that set when the entry holds an
 * `@`, because `user+tag@example.com` is an ordinary address and matching it as a regex would
 * never find the address itself.
 */
import { ConfigError } from '@postern/core'
import { type CompiledPattern, compilePattern, type PatternOptions } from './pattern.js'

export type EntryKind = 'address' | 'host' | 'user' | 'pattern'

export interface ListEntry {
  readonly kind: EntryKind
  /** The entry as written. */
  readonly text: string
  /** Lower-cased address, host or user; the pattern source for patterns. */
  readonly value: string
  /** The rest of the line, for files that give a reason or response after the entry. */
  readonly reason: string | undefined
  readonly file: string
  readonly line: number
  /** Position in the list, so the first matching line wins as it did in qpsmtpd. */
  readonly index: number
  readonly pattern?: CompiledPattern
}

/** What a word without `@` means in this file. */
export type BareWords = 'user' | 'host' | 'skip'

export interface EntryOptions extends PatternOptions {
  /** Bare words (no `@`, not a pattern): user names, host names, or skipped with a warning. */
  bare?: BareWords
  /** Allow patterns (default true). */
  patterns?: boolean
}

const REGEX_CHARS = /[/^$*?\\!%()[\]{}|]/

/** True when qpsmtpd (and Postern) read this entry as a pattern. */
export function isPatternEntry(text: string): boolean {
  if (REGEX_CHARS.test(text)) return true
  return text.includes('+') && !text.includes('@')
}

export interface EntrySource {
  readonly file: string
  readonly line: number
  readonly index: number
}

/**
 * Classifies and compiles one entry. Returns undefined (after `warn`) for entries qpsmtpd
 * skipped with a warning; throws ConfigError for patterns that are invalid or unsafe.
 */
export function parseEntry(
  text: string,
  reason: string | undefined,
  where: EntrySource,
  options: EntryOptions = {},
  warn?: (message: string) => void,
): ListEntry | undefined {
  const base = { text, reason: reason || undefined, file: where.file, line: where.line, index: where.index }
  if ((options.patterns ?? true) && isPatternEntry(text)) {
    const pattern = compilePattern(text, where, options)
    return { ...base, kind: 'pattern', value: text, pattern }
  }
  const lower = text.toLowerCase()
  if (lower.startsWith('@')) {
    if (lower.length === 1) throw new ConfigError('"@" needs a host after it', where.file, where.line)
    return { ...base, kind: 'host', value: lower.slice(1) }
  }
  if (lower.includes('@')) return { ...base, kind: 'address', value: lower }
  const bare = options.bare ?? 'skip'
  if (bare === 'skip') {
    warn?.(`${where.file}:${where.line}: no @ sign in ${JSON.stringify(text)}, line skipped`)
    return undefined
  }
  return { ...base, kind: bare, value: lower }
}
