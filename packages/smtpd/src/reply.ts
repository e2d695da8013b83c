/**
 * SMTP replies: `250-first\r\n250 last\r\n`, with the enhanced status code (RFC 2034) on every
 * line. Its class digit is forced to match the reply code, so a plugin's `5.7.1` on a 4xx reply
 * goes out as `4.7.1`.
 */
import type { EnhancedCode } from '@postern/core'

export interface Reply {
  readonly code: number
  readonly lines: readonly string[]
  readonly enhanced?: EnhancedCode | undefined
}

const CONTROL = /[\x00-\x1f\x7f]/
const CONTROLS = /[\x00-\x1f\x7f]/g

/** Control characters in reply text (from plugin messages or echoed input) are replaced. */
function clean(text: string): string {
  // Most replies are clean: a test is cheaper than a global replace that copies.
  return CONTROL.test(text) ? text.replace(CONTROLS, '?') : text
}

export function fixClass(enhanced: EnhancedCode | undefined, code: number): string | undefined {
  if (!enhanced) return undefined
  const klass = Math.floor(code / 100)
  if (klass !== 2 && klass !== 4 && klass !== 5) return undefined
  return `${klass}${enhanced.slice(1)}`
}

export function formatReply(code: number, lines: readonly string[], enhanced?: EnhancedCode): string {
  const e = fixClass(enhanced, code)
  const prefix = e ? `${e} ` : ''
  const body = lines.length ? lines : ['']
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const sep = i < body.length - 1 ? '-' : ' '
    out += `${code}${sep}${prefix}${clean(body[i]!)}\r\n`
  }
  return out
}
