/**
 * Looking a recipient up and expanding it. The lookup tries the whole address, then (when it
 * has an extension) the address without it, then the bare user names, then `@domain`. A
 * target is expanded again when the file lists it too (at most 8 levels; a loop ends at the
 * address that repeats). The recipient's extension is kept on every target it reaches through
 * a user entry: `alice+lists@` → `alice@` → `a.smith@mail` gives `a.smith+lists@mail`.
 */
import { splitExtension } from '@postern/address-lists'
import type { Alias, AliasFile } from './file.js'

export const MAX_DEPTH = 8

export interface Lookup {
  readonly alias: Alias
  /** The extension to carry over (`+lists`), '' when none or when matched with it. */
  readonly extension: string
}

/** The entry for `user@domain` (both lower-cased), or undefined. */
export function lookup(
  file: AliasFile,
  user: string,
  domain: string,
  separators: string,
): Lookup | undefined {
  const a = file.aliases
  const split = splitExtension(user, separators)
  const exact = a.get(`${user}@${domain}`)
  if (exact) return { alias: exact, extension: '' }
  if (split) {
    const base = a.get(`${split.base}@${domain}`)
    if (base) return { alias: base, extension: split.extension }
  }
  const bare = a.get(user)
  if (bare) return { alias: bare, extension: '' }
  if (split) {
    const base = a.get(split.base)
    if (base) return { alias: base, extension: split.extension }
  }
  const catchAll = a.get(`@${domain}`)
  if (catchAll) return { alias: catchAll, extension: '' }
  return undefined
}

export interface Expansion {
  /** Final addresses, lower-cased `user@domain`. */
  readonly addresses: readonly string[]
  /** Options of every entry on the way, the first entry's winning. */
  readonly options: ReadonlyMap<string, string>
}

function withExtension(address: string, extension: string): string {
  if (!extension) return address
  const at = address.lastIndexOf('@')
  return `${address.slice(0, at)}${extension}${address.slice(at)}`
}

/** Expands a recipient the file covers; `found` is its own entry. */
export function expand(
  file: AliasFile,
  user: string,
  domain: string,
  found: Lookup,
  separators: string,
): Expansion {
  const out: string[] = []
  const options = new Map<string, string>()
  const seen = new Set<string>()
  const walk = (address: string, entry: Lookup, depth: number) => {
    for (const [k, v] of entry.alias.options) if (!options.has(k)) options.set(k, v)
    if (entry.alias.targets.length === 0 || depth >= MAX_DEPTH || seen.has(address)) {
      if (!out.includes(address)) out.push(address)
      return
    }
    seen.add(address)
    const at = address.lastIndexOf('@')
    const here = address.slice(at + 1)
    for (const t of entry.alias.targets) {
      const target = withExtension(t.includes('@') ? t : `${t}@${here}`, entry.extension)
      const tAt = target.lastIndexOf('@')
      const tDomain = target.slice(tAt + 1)
      const next = file.domains.has(tDomain)
        ? lookup(file, target.slice(0, tAt), tDomain, separators)
        : undefined
      // A target that is itself the catch-all's domain would loop through @domain: stop there.
      if (next && !(next.alias.key.startsWith('@') && next.alias === entry.alias))
        walk(target, next, depth + 1)
      else if (!out.includes(target)) out.push(target)
    }
  }
  walk(`${user}@${domain}`, found, 0)
  return { addresses: out, options }
}
