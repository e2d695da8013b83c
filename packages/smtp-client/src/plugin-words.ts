/**
 * The words after a queue plugin's name: leading positional values in qpsmtpd's style
 * (`queue/smtp-forward host port`, `queue/lmtp /run/dovecot/lmtp`), then `key value` pairs.
 * The core's own keys (`hook_timeout`, `loglevel`, `on_error`) are accepted here too; the core
 * reads them itself wherever they stand (`PluginArgs.option`).
 */
export const CORE_KEYS = ['hook_timeout', 'loglevel', 'on_error'] as const

export interface PluginWords {
  readonly positional: readonly string[]
  /** Key/value pairs (keys from client config only: a Map, never an object). */
  readonly pairs: ReadonlyMap<string, string>
}

export function parsePluginWords(
  plugin: string,
  allWords: readonly string[],
  options: { maxPositional: number; keys: readonly string[] },
): PluginWords {
  const known = new Set<string>([...options.keys, ...CORE_KEYS])
  const words = allWords.filter((w) => w !== '')
  const positional: string[] = []
  let i = 0
  while (i < words.length && positional.length < options.maxPositional && !known.has(words[i]!))
    positional.push(words[i++]!)
  const pairs = new Map<string, string>()
  for (; i < words.length; i += 2) {
    const key = words[i]!
    if (!known.has(key))
      throw new Error(`${plugin}: unknown argument "${key}" (known: ${[...known].join(', ')})`)
    const value = words[i + 1]
    if (value === undefined) throw new Error(`${plugin}: argument "${key}" needs a value`)
    pairs.set(key, value)
  }
  return { positional, pairs }
}

/** `yes`/`no` (and 1/0, true/false, on/off); anything else refuses the load. */
export function yesNo(plugin: string, key: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback
  const v = value.toLowerCase()
  if (['1', 'yes', 'true', 'on'].includes(v)) return true
  if (['0', 'no', 'false', 'off'].includes(v)) return false
  throw new Error(`${plugin}: ${key} must be yes or no, not "${value}"`)
}

/** A positive number of seconds as milliseconds; refuses anything else. */
export function seconds(plugin: string, key: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback * 1000
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${plugin}: ${key} must be a positive number of seconds, not "${value}"`)
  return n * 1000
}
