/**
 * Opening a session with a next hop: connect, greeting, EHLO (HELO fallback) or LHLO, STARTTLS
 * by policy, AUTH. Refusals during setup are errors (`refused`, `tls…`, `auth`): they say nothing
 * about the mail, so queues treat them as temporary.
 */
import { isIP } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { authenticate, type Credentials } from './auth.js'
import { type Endpoint, SmtpConnection } from './connection.js'
import { SmtpClientError } from './errors.js'
import { formatReply, type Reply } from './reply.js'

export type TlsPolicy = 'off' | 'opportunistic' | 'require'

export interface SessionOptions {
  endpoint: Endpoint
  /** LMTP (RFC 2033): LHLO, and one reply per recipient after the message. */
  lmtp?: boolean
  /** Our name in EHLO/LHLO. */
  helo: string
  /** STARTTLS: `opportunistic` (when offered; default), `require`, `off`. */
  tls?: TlsPolicy
  /** Node TLS options (ca, rejectUnauthorized, servername, …). */
  tlsOptions?: ConnectionOptions
  auth?: Credentials
  /** Send credentials over a connection without TLS. Default false. */
  authWithoutTls?: boolean
  signal: AbortSignal
  connectTimeout?: number
  localAddress?: string
}

export interface OpenSession {
  readonly connection: SmtpConnection
  /** EHLO/LHLO keywords, upper case → their parameters. Empty after a HELO fallback. */
  readonly capabilities: ReadonlyMap<string, string>
  readonly lmtp: boolean
  readonly greeting: Reply
}

function parseCapabilities(reply: Reply): Map<string, string> {
  const caps = new Map<string, string>()
  for (const line of reply.lines.slice(1)) {
    const [word, ...rest] = line.trim().split(/\s+/)
    if (word) caps.set(word.toUpperCase(), rest.join(' '))
  }
  return caps
}

function setupRefused(step: string, reply: Reply): SmtpClientError {
  return new SmtpClientError('refused', `${step} refused: ${formatReply(reply)}`)
}

/**
 * The certificate is checked against the endpoint's host (Node would otherwise check
 * "localhost" on an upgraded socket); SNI is sent for names, not for IP addresses.
 */
function tlsOptionsFor(options: SessionOptions): ConnectionOptions {
  const e = options.endpoint
  const identity = 'host' in e ? { host: e.host, ...(isIP(e.host) ? {} : { servername: e.host }) } : {}
  return { minVersion: 'TLSv1.2', ...identity, ...options.tlsOptions }
}

async function hello(conn: SmtpConnection, options: SessionOptions): Promise<Map<string, string>> {
  if (options.lmtp) {
    const r = await conn.command(`LHLO ${options.helo}`)
    if (r.code !== 250) throw setupRefused('LHLO', r)
    return parseCapabilities(r)
  }
  const r = await conn.command(`EHLO ${options.helo}`)
  if (r.code === 250) return parseCapabilities(r)
  // An old server without ESMTP: HELO, no extensions (a 421 means it is closing: give up).
  if (r.code >= 500) {
    const h = await conn.command(`HELO ${options.helo}`)
    if (h.code === 250) return new Map()
    throw setupRefused('HELO', h)
  }
  throw setupRefused('EHLO', r)
}

export async function openSession(options: SessionOptions): Promise<OpenSession> {
  const conn = await SmtpConnection.connect({
    endpoint: options.endpoint,
    signal: options.signal,
    ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}),
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  })
  try {
    const greeting = await conn.read()
    if (greeting.code !== 220) throw setupRefused('greeting', greeting)
    let caps = await hello(conn, options)
    const policy = options.tls ?? 'opportunistic'
    if (policy !== 'off' && !conn.tls) {
      if (caps.has('STARTTLS')) {
        const r = await conn.command('STARTTLS')
        if (r.code === 220) {
          await conn.startTls(tlsOptionsFor(options))
          // RFC 3207 §4.2: forget everything learnt before TLS and say hello again.
          caps = await hello(conn, options)
        } else if (policy === 'require') {
          throw new SmtpClientError('tls-unavailable', `STARTTLS refused: ${formatReply(r)}`)
        }
      } else if (policy === 'require') {
        throw new SmtpClientError(
          'tls-unavailable',
          'TLS is required, but the server does not offer STARTTLS',
        )
      }
    }
    if (options.auth) {
      if (!conn.tls && !options.authWithoutTls)
        throw new SmtpClientError(
          'auth',
          'refusing to send credentials without TLS (the server offered no STARTTLS)',
        )
      const offered = caps.get('AUTH')
      if (offered === undefined)
        throw new SmtpClientError('auth', 'credentials are configured, but the server does not offer AUTH')
      await authenticate(conn, offered.toUpperCase().split(/\s+/).filter(Boolean), options.auth)
    }
    return { connection: conn, capabilities: caps, lmtp: options.lmtp ?? false, greeting }
  } catch (err) {
    conn.close()
    throw err
  }
}
