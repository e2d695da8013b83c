/**
 * `config/plugins`: one plugin per line, `name arg arg …`; `name:N` is a second instance of the
 * same plugin with its own arguments.
 */
import { ConfigError, type ConfigLine } from './config-dir.js'

export interface PluginLine {
  /** The plugin name as written, without `:N` (`check_badmailfrom`, `queue/maildir`, `./my.js`). */
  readonly name: string
  /** The name with `:N` if given: unique per line, used in logs and notes. */
  readonly instance: string
  readonly args: readonly string[]
  readonly file: string
  readonly line: number
}

// Printable ASCII and tabs (whitespace like spaces), as qpsmtpd; plugin names are a word, a
// path or a package name.
const PRINTABLE = /^[\t\x20-\x7e]+$/
const INSTANCE = /^(.+?):(\d+)$/

export function parsePluginLines(lines: readonly ConfigLine[]): PluginLine[] {
  const seen = new Set<string>()
  const out: PluginLine[] = []
  for (const l of lines) {
    if (!PRINTABLE.test(l.value))
      throw new ConfigError('plugin lines must be printable ASCII', l.file, l.line)
    // Trimmed here too: lines given in code (the `pluginLines` option) are not.
    const [first, ...args] = l.value.trim().split(/[ \t]+/)
    const m = INSTANCE.exec(first!)
    const name = m ? m[1]! : first!
    const instance = first!
    if (seen.has(instance))
      throw new ConfigError(
        `plugin ${instance} is listed twice; use ${name}:2 for a second instance`,
        l.file,
        l.line,
      )
    seen.add(instance)
    out.push({ name, instance, args, file: l.file, line: l.line })
  }
  return out
}
