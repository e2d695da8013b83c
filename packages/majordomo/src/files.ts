/**
 * Reads majordomo's files, once per change: each is parsed again only when its mtime or size
 * changes, so a check per RCPT costs a stat, not a read. Missing files are cached as missing.
 */
import { readFile, stat } from 'node:fs/promises'

interface Cached<T> {
  readonly mtimeMs: number
  readonly size: number
  readonly value: T | undefined
}

export class FileCache<T> {
  readonly #entries = new Map<string, Cached<T>>()

  constructor(
    private readonly parse: (text: string, file: string) => T,
    private readonly maxEntries = 1000,
  ) {}

  /** The parsed file, or undefined when it does not exist. Other errors are thrown. */
  async get(file: string): Promise<T | undefined> {
    let st: { mtimeMs: number; size: number } | undefined
    try {
      st = await stat(file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    const hit = this.#entries.get(file)
    if (!st) {
      if (hit) this.#entries.delete(file)
      return undefined
    }
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.value
    const value = this.parse(await readFile(file, 'utf8'), file)
    if (this.#entries.size >= this.maxEntries) this.#entries.clear()
    this.#entries.set(file, { mtimeMs: st.mtimeMs, size: st.size, value })
    return value
  }
}

/**
 * The `restrict_post` value of a majordomo list config (`keyword = value`, `#` comments,
 * `keyword << END … END` arrays): the file names, split at spaces or colons.
 */
export function restrictPost(text: string): string[] {
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const here = /^([a-z_]+)\s*<<\s*(\S+)$/i.exec(line)
    if (here) {
      // An array value: skip to its terminator so its lines are not read as keywords.
      const end = here[2]!
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== end) i++
      i++
      continue
    }
    const m = /^restrict_post\s*=\s*(.*)$/i.exec(line)
    if (m) return m[1]!.split(/[\s:]+/).filter(Boolean)
  }
  return []
}

/**
 * The addresses of a majordomo list file: one per line, maybe as `Name <addr>` or
 * `addr (Name)`; compared lower-cased. A Set, so any address (`__proto__@x`) is just a string.
 */
export function members(text: string): Set<string> {
  const out = new Set<string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const angle = /<([^<>\s]+)>/.exec(line)
    const address = angle ? angle[1]! : line.split(/\s+/)[0]!
    out.add(address.toLowerCase())
  }
  return out
}
