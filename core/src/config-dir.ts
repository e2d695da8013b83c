/**
 * qpsmtpd's config format: a directory of flat files, one value per line. Blank lines and lines
 * starting with `#` are dropped, whitespace is trimmed, inline `#` is kept (values may contain it).
 * `$include path` pulls in a file or every non-dot file of a directory (sorted); loops are errors.
 * A file missing here is looked up in the qmail control directory, so qmail-smtpd control files
 * work unchanged. Reads are cached and dropped when a file in a watched directory changes.
 */
import { type FSWatcher, readdirSync, readFileSync, statSync, watch } from 'node:fs'
import path from 'node:path'

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(file ? `${file}${line ? `:${line}` : ''}: ${message}` : message)
  }
}

/** One value with where it came from, so a bad line can be reported with file and line. */
export interface ConfigLine {
  readonly value: string
  readonly file: string
  readonly line: number
}

export interface ConfigDirOptions {
  /** Fallback for files missing from the config dir. Default `$QMAIL/control` or `/var/qmail/control`. */
  qmailControlDir?: string | false
  /** Watch directories and drop cached files when they change (default true). */
  watch?: boolean
}

interface CacheEntry {
  lines: readonly ConfigLine[]
  /** Every file and directory this value was read from (includes included ones). */
  deps: Set<string>
}

export class ConfigDir {
  readonly dir: string
  readonly qmailControlDir: string | undefined
  readonly #cache = new Map<string, CacheEntry>()
  readonly #watchers = new Map<string, FSWatcher>()
  readonly #listeners = new Set<(name: string) => void>()
  readonly #watch: boolean
  /** Bumped on every invalidation; parsed-value caches compare against it. */
  generation = 0

  constructor(dir: string, options: ConfigDirOptions = {}) {
    this.dir = path.resolve(dir)
    const qmail =
      options.qmailControlDir === false
        ? undefined
        : (options.qmailControlDir ?? path.join(process.env.QMAIL ?? '/var/qmail', 'control'))
    this.qmailControlDir = qmail ? path.resolve(qmail) : undefined
    this.#watch = options.watch ?? true
  }

  /** The path a config name resolves to (config dir first, then qmail control), or undefined. */
  locate(name: string): string | undefined {
    if (!isSafeName(name)) throw new ConfigError(`bad config name ${JSON.stringify(name)}`)
    const here = path.join(this.dir, name)
    if (isFile(here)) return here
    if (this.qmailControlDir) {
      const there = path.join(this.qmailControlDir, name)
      if (isFile(there)) return there
    }
    return undefined
  }

  /** Every value of `name` with its source line; [] when no file exists. */
  lines(name: string): readonly ConfigLine[] {
    const hit = this.#cache.get(name)
    if (hit) return hit.lines
    const deps = new Set<string>([path.join(this.dir, name)])
    if (this.qmailControlDir) deps.add(path.join(this.qmailControlDir, name))
    const file = this.locate(name)
    const lines = file ? this.#readFile(file, [], deps) : []
    Object.freeze(lines)
    this.#cache.set(name, { lines, deps })
    for (const dep of deps) {
      this.#watchDir(path.dirname(dep))
      // An included directory is watched itself, so a file added to it later is seen even when
      // it was empty at the first read (then no file inside it put the directory on the list).
      if (isDirectory(dep)) this.#watchDir(dep)
    }
    return lines
  }

  /** The values of `name` ([] when no file exists). */
  list(name: string): string[] {
    return this.lines(name).map((l) => l.value)
  }

  /** The first value of `name`, or the fallback. */
  get(name: string): string | undefined
  get(name: string, fallback: string): string
  get(name: string, fallback?: string): string | undefined {
    return this.lines(name)[0]?.value ?? fallback
  }

  /** The whole file as text (for JSON/YAML/PEM files), bypassing line parsing; undefined if absent. */
  raw(name: string): string | undefined {
    const file = this.locate(name)
    if (!file) return undefined
    this.#watchDir(path.dirname(file))
    return readFileSync(file, 'utf8')
  }

  /** Called with the config name whenever a cached value is dropped because a file changed. */
  onChange(listener: (name: string) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Drops every cached value (SIGHUP). */
  reload(): void {
    const names = [...this.#cache.keys()]
    this.#cache.clear()
    this.generation++
    for (const name of names) for (const l of this.#listeners) l(name)
  }

  close(): void {
    for (const w of this.#watchers.values()) w.close()
    this.#watchers.clear()
  }

  #readFile(file: string, chain: string[], deps: Set<string>): ConfigLine[] {
    if (chain.includes(file)) {
      throw new ConfigError(
        `$include loop: ${[...chain, file].map((f) => path.relative(this.dir, f) || f).join(' -> ')}`,
        file,
      )
    }
    deps.add(file)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new ConfigError(`cannot read: ${(err as Error).message}`, file)
    }
    const out: ConfigLine[] = []
    const rows = text.split(/\r?\n/)
    for (let i = 0; i < rows.length; i++) {
      const value = rows[i]!.trim()
      if (value === '' || value.startsWith('#')) continue
      if (value.startsWith('$include')) {
        const target = value.slice('$include'.length).trim()
        if (!target) throw new ConfigError('$include needs a path', file, i + 1)
        const resolved = path.resolve(this.dir, target)
        out.push(...this.#readInclude(resolved, [...chain, file], deps, file, i + 1))
        continue
      }
      out.push({ value, file, line: i + 1 })
    }
    return out
  }

  #readInclude(target: string, chain: string[], deps: Set<string>, from: string, line: number): ConfigLine[] {
    let stat: ReturnType<typeof statSync>
    try {
      stat = statSync(target)
    } catch {
      throw new ConfigError(`$include target not found: ${target}`, from, line)
    }
    if (!stat.isDirectory()) return this.#readFile(target, chain, deps)
    deps.add(target)
    const out: ConfigLine[] = []
    for (const entry of readdirSync(target).sort()) {
      if (entry.startsWith('.')) continue
      const child = path.join(target, entry)
      if (isFile(child)) out.push(...this.#readFile(child, chain, deps))
    }
    return out
  }

  #watchDir(dir: string): void {
    if (!this.#watch || this.#watchers.has(dir)) return
    try {
      const w = watch(dir, { persistent: false }, (_event, filename) =>
        this.#invalidate(dir, filename?.toString()),
      )
      w.on('error', () => this.#invalidateAll())
      this.#watchers.set(dir, w)
    } catch {
      // A directory that does not exist (yet) cannot be watched; its files are absent anyway.
    }
  }

  #invalidate(dir: string, filename: string | undefined): void {
    const changed = filename ? path.join(dir, filename) : undefined
    for (const [name, entry] of this.#cache) {
      const hit = changed
        ? entry.deps.has(changed) || entry.deps.has(dir)
        : [...entry.deps].some((d) => d.startsWith(dir))
      if (!hit) continue
      this.#cache.delete(name)
      this.generation++
      for (const l of this.#listeners) l(name)
    }
  }

  #invalidateAll(): void {
    this.reload()
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

/** Config names are file names, maybe with a subdirectory; never absolute or upward. */
function isSafeName(name: string): boolean {
  return name.length > 0 && !path.isAbsolute(name) && !name.split(/[\\/]/).includes('..')
}
