/**
 * AUTH PLAIN and AUTH LOGIN (RFC 4954, RFC 4616) as a client. Any 2xx counts as success:
 * RFC 4954 says 235, but some servers (Postfix's smtp-sink) answer 250.
 */
import type { SmtpConnection } from './connection.js'
import { SmtpClientError } from './errors.js'
import { formatReply, type Reply } from './reply.js'

export interface Credentials {
  user: string
  password: string
  /** `plain`, `login`, or `auto` (PLAIN when offered, else LOGIN). Default `auto`. */
  mechanism?: 'plain' | 'login' | 'auto'
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

/** Picks the mechanism from what the server offers; throws when none fits. */
export function chooseMechanism(
  offered: readonly string[],
  wanted: Credentials['mechanism'] = 'auto',
): 'PLAIN' | 'LOGIN' {
  const has = (m: string) => offered.includes(m)
  if (wanted === 'plain' || wanted === 'login') {
    const m = wanted === 'plain' ? 'PLAIN' : 'LOGIN'
    if (!has(m))
      throw new SmtpClientError(
        'auth',
        `the server does not offer AUTH ${m} (it offers: ${offered.join(' ') || 'none'})`,
      )
    return m
  }
  if (has('PLAIN')) return 'PLAIN'
  if (has('LOGIN')) return 'LOGIN'
  throw new SmtpClientError(
    'auth',
    `the server offers no AUTH mechanism we speak (it offers: ${offered.join(' ') || 'none'})`,
  )
}

function refused(step: string, reply: Reply): SmtpClientError {
  // The reply text is logged, never the credentials.
  return new SmtpClientError('auth', `AUTH ${step} refused: ${formatReply(reply)}`)
}

export async function authenticate(
  conn: SmtpConnection,
  offered: readonly string[],
  creds: Credentials,
): Promise<void> {
  if (/[\0]/.test(creds.user) || /[\0]/.test(creds.password))
    throw new SmtpClientError('auth', 'user name or password contains NUL')
  const mech = chooseMechanism(offered, creds.mechanism)
  if (mech === 'PLAIN') {
    const r = await conn.command(`AUTH PLAIN ${b64(`\0${creds.user}\0${creds.password}`)}`)
    if (r.code >= 200 && r.code < 300) return
    throw refused('PLAIN', r)
  }
  const r = await conn.command('AUTH LOGIN')
  if (r.code !== 334) throw refused('LOGIN', r)
  const r2 = await conn.command(b64(creds.user))
  if (r2.code !== 334) throw refused('LOGIN (user)', r2)
  const r3 = await conn.command(b64(creds.password))
  if (r3.code >= 200 && r3.code < 300) return
  throw refused('LOGIN (password)', r3)
}
