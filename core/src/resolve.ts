/**
 * Finds the module behind a name in `config/plugins`:
 * - a path (`./plugins/mine.js`, `/opt/x.mjs`), relative to the config directory;
 * - a package name (`@acme/postern-foo`);
 * - a plugin name: `check_badmailfrom` → `@postern/check-badmailfrom`, then
 *   `postern-plugin-check-badmailfrom`; `queue/maildir` → `@postern/queue-maildir`;
 * - an alias that an installed package declares in its package.json
 *   (`"postern": { "plugin": "check_badmailfrom", "aliases": ["badmailfrom"] }`).
 * Packages are looked up in the node_modules above each search directory, nearest first.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

export interface ResolvedModule {
  /** Absolute path of the entry file to import. */
  readonly entry: string
  readonly packageName?: string
  readonly packageVersion?: string
  /** The `@postern/core` peer range declared in package.json, if any. */
  readonly peerRange?: string
}

/** `check_badmailfrom` → `check-badmailfrom`; `queue/maildir` → `queue-maildir`. */
export function kebabName(name: string): string {
  return name
    .replace(/[/_\s]+/g, '-')
    .replace(/[^A-Za-z0-9.-]/g, '')
    .toLowerCase()
}

export function candidatePackages(name: string): string[] {
  if (name.startsWith('@') && name.includes('/')) return [name]
  const kebab = kebabName(name)
  return [`@postern/${kebab}`, `postern-plugin-${kebab}`]
}

interface PackageJson {
  name?: string
  version?: string
  main?: string
  module?: string
  exports?: unknown
  peerDependencies?: Record<string, string>
  postern?: { plugin?: string; aliases?: string[] }
}

function readJson(file: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson
  } catch {
    return undefined
  }
}

/** The ESM entry of a package from its exports map (import condition), module or main. */
function packageEntry(dir: string, pkg: PackageJson): string {
  const dot = (
    typeof pkg.exports === 'object' && pkg.exports !== null && '.' in pkg.exports
      ? (pkg.exports as Record<string, unknown>)['.']
      : pkg.exports
  ) as unknown
  const pick = (v: unknown): string | undefined => {
    if (typeof v === 'string') return v
    if (typeof v !== 'object' || v === null) return undefined
    const o = v as Record<string, unknown>
    return pick(o.import) ?? pick(o.default) ?? pick(o.node) ?? pick(o.require)
  }
  const rel = pick(dot) ?? pkg.module ?? pkg.main ?? 'index.js'
  return path.resolve(dir, rel)
}

function fromPackageDir(dir: string): ResolvedModule | undefined {
  const pkg = readJson(path.join(dir, 'package.json'))
  if (!pkg) return undefined
  const result: { -readonly [K in keyof ResolvedModule]: ResolvedModule[K] } = {
    entry: packageEntry(dir, pkg),
  }
  if (pkg.name) result.packageName = pkg.name
  if (pkg.version) result.packageVersion = pkg.version
  const peer = pkg.peerDependencies?.['@postern/core']
  if (peer) result.peerRange = peer
  return result
}

function findPackage(name: string, searchDirs: readonly string[]): ResolvedModule | undefined {
  for (const dir of searchDirs) {
    const req = createRequire(path.join(path.resolve(dir), 'noop.js'))
    let pkgJson: string
    try {
      pkgJson = req.resolve(`${name}/package.json`)
    } catch {
      // Packages whose exports map hides package.json: walk node_modules by hand.
      const found = walkNodeModules(path.resolve(dir), name)
      if (!found) continue
      pkgJson = found
    }
    const resolved = fromPackageDir(path.dirname(pkgJson))
    if (resolved) return resolved
  }
  return undefined
}

function walkNodeModules(start: string, name: string): string | undefined {
  let dir = start
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name, 'package.json')
    if (existsSync(candidate)) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** Every installed package that declares a `postern.plugin` name or aliases, nearest first. */
function aliasIndex(searchDirs: readonly string[]): Map<string, string> {
  const index = new Map<string, string>()
  for (const start of searchDirs) {
    let dir = path.resolve(start)
    for (;;) {
      const nm = path.join(dir, 'node_modules')
      for (const scopeOrPkg of safeReaddir(nm)) {
        const dirs = scopeOrPkg.startsWith('@')
          ? safeReaddir(path.join(nm, scopeOrPkg)).map((p) => path.join(nm, scopeOrPkg, p))
          : [path.join(nm, scopeOrPkg)]
        for (const pkgDir of dirs) {
          const pkg = readJson(path.join(pkgDir, 'package.json'))
          const meta = pkg?.postern
          if (!pkg?.name || !meta) continue
          for (const alias of [meta.plugin, ...(meta.aliases ?? [])]) {
            if (alias && !index.has(alias)) index.set(alias, pkg.name)
          }
        }
      }
      const parent = path.dirname(dir)
      if (parent === dir) break
      dir = parent
    }
  }
  return index
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

export interface ResolveOptions {
  /** Directories whose node_modules (and parents') are searched, in order. */
  searchDirs: readonly string[]
  /** Base for relative paths (the config directory). */
  baseDir: string
}

/** Resolves a plugin name to a module, or undefined when nothing matches. */
export function resolvePluginModule(name: string, options: ResolveOptions): ResolvedModule | undefined {
  if (name.startsWith('.') || path.isAbsolute(name)) {
    const file = path.resolve(options.baseDir, name)
    return existsSync(file) ? { entry: file } : undefined
  }
  for (const candidate of candidatePackages(name)) {
    const found = findPackage(candidate, options.searchDirs)
    if (found) return found
  }
  const aliased = aliasIndex(options.searchDirs).get(name)
  return aliased ? findPackage(aliased, options.searchDirs) : undefined
}
