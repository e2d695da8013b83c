/**
 * The aliases file. One alias per line:
 *
 *   <address>: [<target>, <target> ...] [; <name>=<value> ...]
 *
 * The left side is `user@domain`, `@domain` (every other user there) or a bare `user` (that
 * user at every domain the file covers). Targets are addresses; a target without `@` is at the
 * recipient's domain. No targets means a real mailbox, accepted as it is. After `;` come
 * per-recipient options, stored as notes on the recipient's address for later plugins.
 * ` #` starts a comment. The domains named on the left are the ones the file covers: there,
 * a recipient it does not list is refused.
 */
import { Address, ConfigError, type ConfigLine } from '@postern/core'

export interface Alias {
  /** `user@domain`, `@domain` or `user`, lower-cased. */
  readonly key: string
  /** Targets as written (lower-cased; bare ones completed at lookup). Empty: a mailbox. */
  readonly targets: readonly string[]
  readonly options: ReadonlyMap<string, string>
  readonly file: string
  readonly line: number
}

export interface AliasFile {
  readonly aliases: ReadonlyMap<string, Alias>
  /** Domains named on the left: the file is authoritative for them. */
  readonly domains: ReadonlySet<string>
}

const LOCAL = /^[^\s@:,;]+$/

function checkTarget(target: string, l: ConfigLine): void {
  const full = target.includes('@') ? target : `${target}@example.invalid`
  if (!Address.tryParse(`<${full}>`, { utf8: true }))
    throw new ConfigError(`"${target}" is not a valid target address`, l.file, l.line)
}

export function parseAliases(lines: readonly ConfigLine[]): AliasFile {
  const aliases = new Map<string, Alias>()
  const domains = new Set<string>()
  for (const l of lines) {
    const text = l.value.replace(/\s+#.*$/, '')
    const colon = text.indexOf(':')
    if (colon <= 0) throw new ConfigError('expected "address: targets"', l.file, l.line)
    const key = text.slice(0, colon).trim().toLowerCase()
    const at = key.lastIndexOf('@')
    if (at < 0 ? !LOCAL.test(key) : !Address.tryParse(`<${at === 0 ? `x${key}` : key}>`, { utf8: true }))
      throw new ConfigError(`"${key}" is not an address, @domain or user name`, l.file, l.line)
    if (at >= 0) domains.add(key.slice(at + 1))
    const [targetText = '', ...optionParts] = text.slice(colon + 1).split(';')
    const targets = targetText
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((t) => t.toLowerCase())
    for (const t of targets) checkTarget(t, l)
    const options = new Map<string, string>()
    for (const word of optionParts.join(';').split(/\s+/).filter(Boolean)) {
      const eq = word.indexOf('=')
      if (eq <= 0) throw new ConfigError(`option "${word}" must be name=value`, l.file, l.line)
      options.set(word.slice(0, eq), word.slice(eq + 1))
    }
    if (aliases.has(key)) {
      const first = aliases.get(key)!
      throw new ConfigError(`"${key}" is already defined at ${first.file}:${first.line}`, l.file, l.line)
    }
    aliases.set(key, { key, targets, options, file: l.file, line: l.line })
  }
  return { aliases, domains }
}
