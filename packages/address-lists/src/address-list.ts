/**
 * A list file of addresses, `@host` entries, bare words and patterns, with the first matching
 * line winning. Exact entries sit in Maps (keys come from the file and are compared with client
 * input, so `__proto__` is an ordinary key); patterns are tried in file order.
 */
import type { Address, ConfigLine } from '@postern/core'
import { type EntryOptions, type ListEntry, parseEntry } from './entry.js'
import { addressKey, splitKey } from './subject.js'

export interface AddressListOptions extends EntryOptions {
  /** The words after the entry are a reason / response (default true). Otherwise they are ignored. */
  reasons?: boolean
  /** Lines qpsmtpd skipped with a warning (no `@` where one is needed). */
  warn?: (message: string) => void
}

export class AddressList {
  readonly #addresses = new Map<string, ListEntry>()
  readonly #hosts = new Map<string, ListEntry>()
  readonly #users = new Map<string, ListEntry>()
  readonly #patterns: ListEntry[] = []
  readonly entries: readonly ListEntry[]

  private constructor(entries: readonly ListEntry[]) {
    this.entries = entries
    for (const e of entries) {
      const map =
        e.kind === 'address'
          ? this.#addresses
          : e.kind === 'host'
            ? this.#hosts
            : e.kind === 'user'
              ? this.#users
              : undefined
      if (map) {
        if (!map.has(e.value)) map.set(e.value, e)
      } else this.#patterns.push(e)
    }
  }

  static readonly EMPTY = new AddressList([])

  /** Parses config lines; throws ConfigError (with file and line) for a bad pattern. */
  static parse(lines: readonly ConfigLine[], options: AddressListOptions = {}): AddressList {
    const entries: ListEntry[] = []
    for (const l of lines) {
      const [text, ...rest] = l.value.split(/\s+/)
      if (!text) continue
      const reason = options.reasons === false ? undefined : rest.join(' ')
      const entry = parseEntry(
        text,
        reason,
        { file: l.file, line: l.line, index: entries.length },
        options,
        options.warn,
      )
      if (entry) entries.push(entry)
    }
    return new AddressList(entries)
  }

  /** Parses plain values (from `user_config` hooks); bad lines are reported and skipped. */
  static parseValues(
    values: readonly string[],
    source: string,
    options: AddressListOptions = {},
    onError?: (err: Error) => void,
  ): AddressList {
    const entries: ListEntry[] = []
    values.forEach((value, i) => {
      try {
        const one = AddressList.parse([{ value, file: source, line: i + 1 }], options)
        for (const e of one.entries) entries.push({ ...e, index: entries.length })
      } catch (err) {
        onError?.(err as Error)
      }
    })
    return new AddressList(entries)
  }

  /** Combines lists; entries keep their order (this list's first). */
  concat(other: AddressList): AddressList {
    if (other.size === 0) return this
    if (this.size === 0) return other
    const entries = [...this.entries, ...other.entries].map((e, index) => ({ ...e, index }))
    return new AddressList(entries)
  }

  get size(): number {
    return this.entries.length
  }

  /**
   * The first entry (in file order) matching the address: the whole address, its host, its user
   * name (for lists with bare user entries) or a pattern tried on `user@host` lower-cased.
   */
  match(address: Address | string): ListEntry | undefined {
    const key = typeof address === 'string' ? address.toLowerCase() : addressKey(address)
    if (key === '') return undefined
    const { user, host } = splitKey(key)
    let best: ListEntry | undefined
    const consider = (e: ListEntry | undefined) => {
      if (e && (!best || e.index < best.index)) best = e
    }
    consider(this.#addresses.get(key))
    if (host) consider(this.#hosts.get(host))
    consider(this.#users.get(user))
    for (const p of this.#patterns) {
      if (best && p.index > best.index) break
      if (p.pattern?.regex.test(key)) {
        consider(p)
        break
      }
    }
    return best
  }
}
