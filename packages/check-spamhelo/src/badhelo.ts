/**
 * config/badhelo as qpsmtpd's helo plugin reads it: one name per line, compared with the HELO
 * name case-insensitively, or — when the line holds a regex metacharacter — a Perl pattern
 * matched against it. Patterns are compiled and checked for catastrophic backtracking at load
 * (@postern/address-lists); a bad one is a ConfigError naming the file and line.
 */
import { compilePattern } from '@postern/address-lists'
import type { ConfigLine } from '@postern/core'

/** qpsmtpd's test for "this line is a regexp". */
const META = /[{}[\]()^$|*+?\\!]/

/** HELO names are at most 255 octets (RFC 1035); longer input is cut before a regex sees it. */
const MAX_HOST = 255

export interface BadHelo {
  /** The line that matched, for the log, or undefined. */
  match(host: string): ConfigLine | undefined
}

export function parseBadHelo(lines: readonly ConfigLine[]): BadHelo {
  const names = new Map<string, ConfigLine>()
  const patterns: { regex: RegExp; line: ConfigLine }[] = []
  for (const line of lines) {
    // qpsmtpd takes the whole line; a trailing comment-like reason is not part of its format.
    if (META.test(line.value)) patterns.push({ regex: compilePattern(line.value, line).regex, line })
    else names.set(line.value.toLowerCase(), line)
  }
  return {
    match(host) {
      const h = host.toLowerCase().slice(0, MAX_HOST)
      const exact = names.get(h)
      if (exact) return exact
      for (const p of patterns) if (p.regex.test(h)) return p.line
      return undefined
    },
  }
}
