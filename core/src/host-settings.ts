/**
 * The core's own one-value config files: `plugin_timeout`, `dns_timeout`, `dns_failure_ttl`
 * and `dns_servers`.
 * A bad value stops the load with a ConfigError naming the file and line: a timeout that was
 * silently replaced by a default (or by NaN, which fires at once) would only show up as
 * mysterious 451s under load, long after the edit that caused it.
 */
import { type ConfigDir, ConfigError } from './config-dir.js'
import { parseDnsServers } from './dns.js'

const SECONDS = /^\d+(\.\d+)?$/

/**
 * `30`, `0.5` → ms; undefined for anything else, zero included. Plain seconds only (no `30s`):
 * plugins read `plugin_timeout` themselves as a number too.
 */
export function positiveSeconds(text: string): number | undefined {
  const seconds = SECONDS.test(text) ? Number(text) : 0
  return seconds > 0 ? seconds * 1000 : undefined
}

/**
 * A positive number of seconds from a one-value file, in ms; the default if absent. With
 * `zero: true`, 0 is allowed too (a setting where 0 turns something off).
 */
export function secondsSetting(
  files: ConfigDir,
  name: string,
  defaultSeconds: number,
  { zero = false }: { zero?: boolean } = {},
): number {
  const line = files.lines(name)[0]
  if (!line) return defaultSeconds * 1000
  if (zero && SECONDS.test(line.value) && Number(line.value) === 0) return 0
  const ms = positiveSeconds(line.value)
  if (ms === undefined)
    throw new ConfigError(
      `${name} must be a ${zero ? 'non-negative' : 'positive'} number of seconds, not ${JSON.stringify(line.value)}`,
      line.file,
      line.line,
    )
  return ms
}

/** `config/dns_servers` as the resolver wants it; a bad line is a ConfigError at that line. */
export function dnsServersSetting(files: ConfigDir): string[] {
  const out: string[] = []
  // One line at a time, so the error can say which line is wrong.
  for (const line of files.lines('dns_servers')) {
    try {
      out.push(...parseDnsServers([line.value]))
    } catch (err) {
      throw new ConfigError((err as Error).message, line.file, line.line)
    }
  }
  return out
}
