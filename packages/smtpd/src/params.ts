/**
 * Parsing `MAIL FROM:<path> KEY=VALUE …` and `RCPT TO:<path> …` (RFC 5321 §4.1.2, RFC 1869).
 * Keys are lower-cased; parameter maps are Maps, so a hostile key cannot touch a prototype.
 */

export interface PathArgs {
  /** The path as written, brackets included (`<a@b>`), or a bare address from a lenient client. */
  path: string
  params: Map<string, string>
}

export type ParseResult = { ok: true; value: PathArgs } | { ok: false; reply: string }

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/
// xtext-ish values: printable ASCII except '=' and space (RFC 5321 esmtp-value; UTF-8 allowed with SMTPUTF8).
const VALUE = /^[^\s=\x00-\x1f]+$/

/** `prefix` is `from:` or `to:`. */
export function parsePathArgs(text: string, prefix: 'from:' | 'to:'): ParseResult {
  if (text.slice(0, prefix.length).toLowerCase() !== prefix) {
    return { ok: false, reply: `Syntax: ${prefix === 'from:' ? 'MAIL FROM:<address>' : 'RCPT TO:<address>'}` }
  }
  let rest = text.slice(prefix.length).trimStart()
  let path: string
  if (rest.startsWith('<')) {
    // The path ends at the first '>' outside a quoted string.
    let inQuote = false
    let end = -1
    for (let i = 1; i < rest.length; i++) {
      const ch = rest[i]
      if (ch === '\\' && inQuote) i++
      else if (ch === '"') inQuote = !inQuote
      else if (ch === '>' && !inQuote) {
        end = i
        break
      }
    }
    if (end < 0) return { ok: false, reply: 'Syntax error in address: missing ">"' }
    path = rest.slice(0, end + 1)
    rest = rest.slice(end + 1)
    if (rest && !/^\s/.test(rest)) return { ok: false, reply: 'Syntax error: text after the address' }
  } else {
    const m = /^(\S*)(.*)$/.exec(rest)!
    path = m[1]!
    rest = m[2]!
  }
  const params = new Map<string, string>()
  for (const word of rest.trim().split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=')
    const key = eq < 0 ? word : word.slice(0, eq)
    const value = eq < 0 ? '' : word.slice(eq + 1)
    if (!KEYWORD.test(key) || (eq >= 0 && !VALUE.test(value)))
      return { ok: false, reply: `Bad parameter: ${word.slice(0, 40)}` }
    params.set(key.toLowerCase(), value)
  }
  return { ok: true, value: { path, params } }
}
