/**
 * The charsets named by RFC 2047 encoded words in header values: `=?koi8-r?B?…?=`. An RFC 2231
 * language suffix (`=?utf-8*en?Q?…?=`) is dropped. Values are raw (not yet decoded) header text.
 */
const ENCODED_WORD = /=\?([^?*\s]{1,64})(?:\*[^?\s]*)?\?[bq]\?/gi

export function encodedWordCharsets(value: string): string[] {
  const out: string[] = []
  for (const m of value.matchAll(ENCODED_WORD)) out.push(m[1]!.toLowerCase())
  return out
}
