/**
 * The engine's settings, read from the config directory. Every limit has a safe default and is
 * enforced before any plugin runs.
 */
import os from 'node:os'
import path from 'node:path'
import type { PluginConfig } from '@postern/core'
import { defaultSpoolDir } from './spool-dir.js'

export interface Settings {
  /** Host name used in the banner, Received and Authentication-Results (`me`). */
  me: string
  /** Custom banner text (`smtpgreeting`). */
  greeting: string | undefined
  /** Maximum message size in bytes (`databytes`; 0 = no limit). Advertised as SIZE. */
  databytes: number
  /** Longest command line, in bytes without CRLF (`max_line_length`). */
  maxLineLength: number
  /** Bytes of the header block kept and parsed (`max_header_bytes`); more is refused. */
  maxHeaderBytes: number
  /** Recipients per transaction (`max_rcpts`; at least 100 per RFC 5321). */
  maxRecipients: number
  /** Error replies per connection before 421 and close (`max_errors`). */
  maxErrors: number
  /** Unknown commands per connection before 421 and close (`max_unrecognized`). */
  maxUnrecognized: number
  /** Milliseconds a client may take to send one command (`command_timeout`, seconds). */
  commandTimeout: number
  /** Slowest DATA the server waits for, bytes per second over `data_rate_window` (`data_min_rate`). */
  dataMinRate: number
  /** Window of the rate check, ms (`data_rate_window`, seconds). */
  dataRateWindow: number
  /** Connections in total (`max_connections`). */
  maxConnections: number
  /** Connections from one IP (`max_connections_per_ip`). */
  maxConnectionsPerIp: number
  /** Where message bodies are spooled (`spool_dir`; default $TMPDIR/postern-spool-<uid>, checked at start). */
  spoolDir: string
  /**
   * Bytes of a message kept in a bounded memory buffer; a bigger message goes to a spool file as
   * it arrives (`spool_threshold`, 64 KiB; 0 puts every message on disk).
   */
  spoolThreshold: number
  /** `reject` (550 5.5.2 after DATA) or `normalize` (turn bare CR/LF into CRLF) (`bare_lf`). */
  bareLf: 'reject' | 'normalize'
  /**
   * Refuse commands pipelined right after the end of DATA from unauthenticated clients
   * (`forbid_unauth_pipelining`, default 1; Postfix's smuggling defence).
   */
  forbidUnauthPipelining: boolean
  /** AUTH is offered without TLS (`auth_allow_plaintext`, default 0). */
  authPlaintext: boolean
  /** When deferred ("naughty") rejects are applied (`deferred_reject_phase`). */
  deferredRejectPhase: 'connect' | 'mail' | 'rcpt' | 'data' | 'data_post'
  /** Name in Authentication-Results (`me-auth-results`; `none` to add no header). */
  authServId: string | undefined
  /** PROXY protocol is read from these networks (`proxy_hosts`, IP or CIDR per line). */
  proxyHosts: readonly string[]
  /** Seconds open transactions may take after SIGTERM (`shutdown_timeout`). */
  shutdownTimeout: number
  tlsCert: string | undefined
  tlsKey: string | undefined
  // ---- protocol limits (junk commands) ----
  /**
   * NOOP, HELP, VRFY and RSET per connection before `421 4.7.0` and close
   * (`max_junk_commands`, default 100; Postfix's smtpd_junk_command_limit). The count starts
   * again after each accepted message.
   */
  maxJunkCommands: number
  // ---- end protocol limits ----
}

function num(config: SettingsSource, name: string, fallback: number, min = 0): number {
  const v = config.get(name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) throw new Error(`config/${name}: "${v}" is not a number ≥ ${min}`)
  return n
}

function oneOf<T extends string>(
  config: SettingsSource,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const v = config.get(name)?.toLowerCase()
  if (v === undefined) return fallback
  if (!(allowed as readonly string[]).includes(v))
    throw new Error(`config/${name}: "${v}" is not one of ${allowed.join(', ')}`)
  return v as T
}

/** What the settings are read from: the config dir, or the values the `config` hooks gave. */
export interface SettingsSource {
  readonly dir: string
  get(name: string): string | undefined
  get(name: string, fallback: string): string
  list(name: string): readonly string[]
}

/** The engine's settings from the config files alone (no `config` hooks asked). */
export function readSettings(config: SettingsSource): Settings {
  const me = config.get('me') ?? os.hostname()
  const authRes = config.get('me-auth-results')
  const resolve = (p: string | undefined) => (p ? path.resolve(config.dir, p) : undefined)
  return {
    me,
    greeting: config.get('smtpgreeting'),
    databytes: num(config, 'databytes', 26_214_400),
    maxLineLength: num(config, 'max_line_length', 2048, 512),
    maxHeaderBytes: num(config, 'max_header_bytes', 262_144, 1024),
    maxRecipients: num(config, 'max_rcpts', 1000, 100),
    maxErrors: num(config, 'max_errors', 20, 1),
    maxUnrecognized: num(config, 'max_unrecognized', 10, 1),
    commandTimeout: num(config, 'command_timeout', num(config, 'timeout', 300), 1) * 1000,
    dataMinRate: num(config, 'data_min_rate', 100),
    dataRateWindow: num(config, 'data_rate_window', 30, 1) * 1000,
    maxConnections: num(config, 'max_connections', 5000, 1),
    maxConnectionsPerIp: num(config, 'max_connections_per_ip', 50, 1),
    spoolDir: resolve(config.get('spool_dir')) ?? defaultSpoolDir(),
    spoolThreshold: num(config, 'spool_threshold', 65_536),
    bareLf: oneOf(config, 'bare_lf', ['reject', 'normalize'] as const, 'reject'),
    authPlaintext: config.get('auth_allow_plaintext', '0') === '1',
    forbidUnauthPipelining: config.get('forbid_unauth_pipelining', '1') !== '0',
    deferredRejectPhase: oneOf(
      config,
      'deferred_reject_phase',
      ['connect', 'mail', 'rcpt', 'data', 'data_post'] as const,
      'rcpt',
    ),
    authServId: authRes === 'none' ? undefined : (authRes ?? me),
    proxyHosts: config.list('proxy_hosts'),
    shutdownTimeout: num(config, 'shutdown_timeout', 30) * 1000,
    tlsCert: resolve(config.get('tls_cert')),
    tlsKey: resolve(config.get('tls_key')),
    // ---- protocol limits (junk commands) ----
    maxJunkCommands: num(config, 'max_junk_commands', 100, 1),
    // ---- end protocol limits ----
  }
}

/**
 * The engine's settings as qpsmtpd reads its own: the `config` hooks first (http_config may set
 * `databytes`), then the files. readSettings is synchronous, so the names it reads are learnt
 * from a dry run on an empty source, each asked once through the plugins' config service, and
 * the settings read again from those answers. Without config hooks, the answers are the files'.
 */
export async function loadSettings(config: PluginConfig): Promise<Settings> {
  const names = new Set<string>()
  readSettings(
    answers(config.dir, (name) => {
      names.add(name)
      return []
    }),
  )
  const values = new Map<string, readonly string[]>()
  for (const name of names) values.set(name, await config.list(name))
  return readSettings(answers(config.dir, (name) => values.get(name) ?? []))
}

function answers(dir: string, list: (name: string) => readonly string[]): SettingsSource {
  function get(name: string): string | undefined
  function get(name: string, fallback: string): string
  function get(name: string, fallback?: string): string | undefined {
    return list(name)[0] ?? fallback
  }
  return { dir, get, list }
}
