/**
 * The words after a plugin's name in `config/plugins`. Most plugins read them as key/value
 * pairs (`reject naughty reject_type temp`); older ones read them by position.
 */
export class PluginArgs {
  readonly #pairs = new Map<string, string>()

  constructor(readonly words: readonly string[] = []) {
    for (let i = 0; i + 1 < words.length; i += 2) this.#pairs.set(words[i]!, words[i + 1]!)
  }

  /** The value after `key`, reading the words as pairs. */
  get(key: string): string | undefined {
    return this.#pairs.get(key)
  }

  has(key: string): boolean {
    return this.#pairs.has(key)
  }

  string(key: string, fallback: string): string {
    return this.#pairs.get(key) ?? fallback
  }

  /** A number; a missing or non-numeric value gives the fallback. */
  number(key: string, fallback: number): number {
    const v = this.#pairs.get(key)
    if (v === undefined) return fallback
    const n = Number(v)
    return Number.isFinite(n) ? n : fallback
  }

  /** `1`, `yes`, `true`, `on` → true; `0`, `no`, `false`, `off` → false. */
  bool(key: string, fallback: boolean): boolean {
    const v = this.#pairs.get(key)?.toLowerCase()
    if (v === undefined) return fallback
    if (['1', 'yes', 'true', 'on'].includes(v)) return true
    if (['0', 'no', 'false', 'off'].includes(v)) return false
    return fallback
  }

  /**
   * The word after `key` wherever it stands. Core's own options (`loglevel`, `hook_timeout`,
   * `on_error`) are read this way, so plugins with positional words (URLs, counts) keep them.
   */
  option(key: string): string | undefined {
    const i = this.words.indexOf(key)
    return i >= 0 ? this.words[i + 1] : undefined
  }

  /** The `index`th word, for plugins with positional arguments. */
  at(index: number): string | undefined {
    return this.words[index]
  }

  /** The pairs, e.g. to validate unknown keys. */
  keys(): string[] {
    return [...this.#pairs.keys()]
  }
}
