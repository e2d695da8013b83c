/**
 * `http_config [timeout S] [cache S] [keys a,b] [max_size BYTES] URL [URL …]`: URLs are the words
 * that start with http:// or https:// (as qpsmtpd's http_config took them); the rest are pairs.
 * PluginArgs reads words strictly in pairs, which URLs would shift, so they are read here. The
 * core reads `loglevel`, `hook_timeout` and `on_error` with PluginArgs, so those (and so all the
 * options) must come before the URLs, as the README says.
 */
import type { PluginArgs } from '@postern/core'

export interface HttpConfigOptions {
  readonly urls: readonly URL[]
  readonly timeoutMs: number
  readonly cacheMs: number
  /** Only these keys are asked over HTTP; undefined: every key. */
  readonly keys: ReadonlySet<string> | undefined
  readonly maxSize: number
}

const KNOWN = new Set(['timeout', 'cache', 'keys', 'max_size', 'loglevel', 'hook_timeout', 'on_error'])

function seconds(value: string, key: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${key} must be a number of seconds, not ${value}`)
  return n * 1000
}

export function parseOptions(args: PluginArgs): HttpConfigOptions {
  const urls: URL[] = []
  const pairs = new Map<string, string>()
  const words = args.words.filter((w) => w !== '')
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!
    if (/^https?:\/\//i.test(word)) {
      urls.push(new URL(word))
      continue
    }
    if (!KNOWN.has(word)) throw new Error(`unknown argument ${JSON.stringify(word)}`)
    const value = words[++i]
    if (value === undefined) throw new Error(`${word} needs a value`)
    pairs.set(word, value)
  }
  if (urls.length === 0) throw new Error('give at least one http:// or https:// URL')
  const maxSize = Number(pairs.get('max_size') ?? 1024 * 1024)
  if (!Number.isInteger(maxSize) || maxSize < 1)
    throw new Error(`max_size must be a number of bytes, not ${pairs.get('max_size')}`)
  const keys = pairs.get('keys')
  return {
    urls,
    timeoutMs: seconds(pairs.get('timeout') ?? '5', 'timeout'),
    cacheMs: seconds(pairs.get('cache') ?? '300', 'cache'),
    keys:
      keys === undefined
        ? undefined
        : new Set(
            keys
              .split(',')
              .map((k) => k.trim())
              .filter(Boolean),
          ),
    maxSize,
  }
}
