/**
 * `config/smtp_forward_auth`: credentials for the next hops, one line each:
 *
 *     smarthost.example:587  user  the password
 *     *                      user  password        (any relay without its own line)
 *
 * The relay is matched as `host:port`, then `host`, then `*`. The password is the rest of the
 * line (it may contain spaces and `#`; leading/trailing spaces are trimmed by the config reader).
 * Keep this file readable by the server's user only.
 */
import { ConfigError, type ConfigLine } from '@postern/core'
import { type Credentials, describeEndpoint, type Endpoint } from '@postern/smtp-client'

export type AuthTable = ReadonlyMap<string, Omit<Credentials, 'mechanism'>>

export function parseAuthFile(lines: readonly ConfigLine[]): AuthTable {
  const table = new Map<string, Omit<Credentials, 'mechanism'>>()
  for (const line of lines) {
    const m = /^(\S+)\s+(\S+)\s+(.+)$/.exec(line.value)
    // Never echo the line: it holds a password.
    if (!m) throw new ConfigError('want "relay user password"', line.file, line.line)
    table.set(m[1]!.toLowerCase(), { user: m[2]!, password: m[3]! })
  }
  return table
}

export function credentialsFor(
  table: AuthTable,
  endpoint: Endpoint,
): Omit<Credentials, 'mechanism'> | undefined {
  if ('path' in endpoint) return table.get('*')
  return (
    table.get(describeEndpoint(endpoint).toLowerCase()) ??
    table.get(endpoint.host.toLowerCase()) ??
    table.get('*')
  )
}
