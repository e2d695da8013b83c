/**
 * `queue/smtp-forward [host[:port] [port]] [key value]…` — qpsmtpd's `host port` first, then
 * key/value pairs. Unknown keys refuse the load, so a typo never silently weakens TLS.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { PluginArgs, PluginConfig } from '@postern/core'
import {
  type Credentials,
  type Endpoint,
  hookTimeoutMs,
  parseEndpoint,
  parsePluginWords,
  seconds,
  type TlsPolicy,
  yesNo,
} from '@postern/smtp-client'
import { SMTP_PORT } from './routes.js'

export interface ForwardOptions {
  /** The default relay from the arguments (smtproutes may add and override). */
  host?: Endpoint
  tls: TlsPolicy
  tlsVerify: boolean
  /** PEM CA certificates that replace the system CAs (`tls_ca`). */
  tlsCa?: string
  authMechanism: NonNullable<Credentials['mechanism']>
  authWithoutTls: boolean
  pipelining: boolean
  connectTimeoutMs: number
  helo: string
  hookTimeoutMs: number
}

const NAME = 'queue/smtp-forward'
const KEYS = [
  'host',
  'tls',
  'tls_verify',
  'tls_ca',
  'auth_mech',
  'auth_without_tls',
  'pipelining',
  'connect_timeout',
  'helo',
]

function oneOf<T extends string>(
  key: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  const v = value.toLowerCase() as T
  if (!allowed.includes(v))
    throw new Error(`${NAME}: ${key} must be one of ${allowed.join(', ')}, not "${value}"`)
  return v
}

function hostFrom(positional: readonly string[], pairs: ReadonlyMap<string, string>): Endpoint | undefined {
  if (positional.length && pairs.has('host'))
    throw new Error(`${NAME}: give the host once (first word or "host")`)
  const text = positional[0] ?? pairs.get('host')
  if (text === undefined) return undefined
  // qpsmtpd's form: `host port` as two words.
  const full = positional[1] !== undefined ? `${text}:${positional[1]}` : text
  try {
    const e = parseEndpoint(full, SMTP_PORT)
    if ('path' in e) throw new Error('a relay is a TCP host')
    return e
  } catch (err) {
    throw new Error(`${NAME}: bad host ${(err as Error).message}`)
  }
}

export async function readOptions(args: PluginArgs, config: PluginConfig): Promise<ForwardOptions> {
  const { positional, pairs } = parsePluginWords(NAME, args.words, {
    maxPositional: 2,
    keys: KEYS,
  })
  const host = hostFrom(positional, pairs)
  const caFile = pairs.get('tls_ca')
  let tlsCa: string | undefined
  if (caFile !== undefined) {
    try {
      tlsCa = readFileSync(path.resolve(config.dir, caFile), 'utf8')
    } catch (err) {
      throw new Error(`${NAME}: cannot read tls_ca ${caFile}: ${(err as Error).message}`)
    }
  }
  return {
    ...(host ? { host } : {}),
    tls: oneOf('tls', pairs.get('tls'), ['opportunistic', 'require', 'off'] as const, 'opportunistic'),
    tlsVerify: yesNo(NAME, 'tls_verify', pairs.get('tls_verify'), true),
    ...(tlsCa ? { tlsCa } : {}),
    authMechanism: oneOf('auth_mech', pairs.get('auth_mech'), ['auto', 'plain', 'login'] as const, 'auto'),
    authWithoutTls: yesNo(NAME, 'auth_without_tls', pairs.get('auth_without_tls'), false),
    pipelining: yesNo(NAME, 'pipelining', pairs.get('pipelining'), true),
    connectTimeoutMs: seconds(NAME, 'connect_timeout', pairs.get('connect_timeout'), 10),
    helo: pairs.get('helo') ?? (await config.get('me', os.hostname()))!,
    hookTimeoutMs: await hookTimeoutMs(pairs.get('hook_timeout'), config),
  }
}
