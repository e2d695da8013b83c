/**
 * AUTH (RFC 4954) with PLAIN, LOGIN and CRAM-MD5. The engine runs the SASL exchange; plugins
 * decide through the `auth-<mechanism>` hook, then the generic `auth` hook. Offered only after
 * EHLO, only with TLS unless `auth_allow_plaintext` is set, and never inside a transaction.
 */
import { randomBytes } from 'node:crypto'
import { type AuthCredentials, DECLINED, NOTE, OK } from '@postern/core'
import type { Session } from './session.js'

type Mechanism = 'PLAIN' | 'LOGIN' | 'CRAM-MD5'
const HOOK_OF = { PLAIN: 'auth-plain', LOGIN: 'auth-login', 'CRAM-MD5': 'auth-cram-md5' } as const
const ALL: readonly Mechanism[] = ['PLAIN', 'LOGIN', 'CRAM-MD5']

/** The mechanisms to advertise now (empty: AUTH is not offered). */
export function authMechanisms(s: Session): Mechanism[] {
  if (s.connection.auth) return []
  if (!s.connection.tls && !s.settings.authPlaintext) return []
  const d = s.host.dispatcher
  if (d.has('auth')) return [...ALL]
  return ALL.filter((m) => d.has(HOOK_OF[m]))
}

const CANCELLED = Symbol('cancelled')

/** PLAIN with an authorization identity other than the user's own: acting for others is not allowed. */
interface ForeignAuthzid {
  readonly foreignAuthzid: true
  readonly user: string
}
const B64 = /^[A-Za-z0-9+/]*={0,2}$/
const CONTROL = /[\x00-\x1f\x7f-\x9f]/

/** Reads one SASL response line; CANCELLED for `*`, undefined when the session must stop. */
async function readResponse(s: Session, prompt: string): Promise<string | typeof CANCELLED | undefined> {
  await s.reply(334, [prompt])
  s.flush()
  const r = await s.readLine()
  if (typeof r === 'symbol') {
    await s.reply(421, [`${s.settings.me} Timeout exceeded, closing connection`], '4.4.2')
    s.close()
    return undefined
  }
  if (r.kind === 'eof') {
    s.close()
    return undefined
  }
  if (r.kind === 'too-long') return CANCELLED
  const text = r.line.toString('latin1').trim()
  return text === '*' ? CANCELLED : text
}

function decode(b64: string): string | undefined {
  if (!B64.test(b64) || b64.length % 4 !== 0) return undefined
  return Buffer.from(b64, 'base64').toString('utf8')
}

export async function authCommand(s: Session, arg: string): Promise<void> {
  if (s.connection.helloType !== 'ehlo') return s.reply(503, ['AUTH requires EHLO'], '5.5.1')
  if (s.transaction) return s.reply(503, ['AUTH is not allowed during a mail transaction'], '5.5.1')
  const [mechWord, initial] = arg.split(/\s+/, 2) as [string, string | undefined]
  const mech = mechWord.toUpperCase() as Mechanism
  if (!authMechanisms(s).includes(mech)) return s.reply(504, ['Unrecognized authentication type'], '5.5.4')
  const creds = await exchange(s, mech, initial)
  if (creds === undefined) return
  if (creds === CANCELLED) return s.reply(501, ['Authentication cancelled'], '5.0.0')
  if (creds === 'malformed') return s.reply(501, ['Malformed authentication response'], '5.5.2')
  // Control characters in the identity could end up in headers or logs: refuse before any hook.
  if (CONTROL.test(creds.user) || !creds.user) return s.reply(501, ['Invalid user name'], '5.5.2')
  if ('foreignAuthzid' in creds) {
    // RFC 4616 §2: the server must fail an authorization it does not allow; RFC 4954 §6: 535 5.7.8.
    s.log.info(`auth ${mech} for ${creds.user}: fail (authorization identity refused)`)
    return s.reply(535, [failedText(s, mech, creds.user)], '5.7.8')
  }
  let r = await s.first(HOOK_OF[mech], s, creds)
  if (r.code === DECLINED) r = await s.first('auth', s, creds)
  if (r.code === OK) {
    s.connection.auth = { user: creds.user, mechanism: mech }
    s.connection.relayClient = true
    s.connection.notes.delete(NOTE.naughty)
    s.log.info(`auth ${mech} for ${creds.user}: pass`)
    return s.reply(235, [`${mech} authentication successful for ${creds.user}`], '2.7.0')
  }
  s.log.info(`auth ${mech} for ${creds.user}: fail`)
  // The client IP is in the text so fail2ban can match the line (as qpsmtpd 1.0 does).
  const failed = {
    ...r,
    message: r.message.length ? r.message : [failedText(s, mech, creds.user)],
  }
  await s.replyFor('auth', failed)
}

function failedText(s: Session, mech: Mechanism, user: string): string {
  return `${mech} authentication failed for ${user} from ${s.connection.remoteIp}`
}

async function exchange(
  s: Session,
  mech: Mechanism,
  initial: string | undefined,
): Promise<AuthCredentials | ForeignAuthzid | typeof CANCELLED | 'malformed' | undefined> {
  const mechanism = mech.toLowerCase()
  if (mech === 'PLAIN') {
    const resp = initial !== undefined ? (initial === '=' ? '' : initial) : await readResponse(s, '')
    if (typeof resp !== 'string') return resp
    const text = decode(resp)
    const parts = text?.split('\0')
    if (parts?.length !== 3) return 'malformed'
    const [authzid, user, password] = parts as [string, string, string]
    // Acting for another user is not supported: the authorization identity must be the user's own.
    if (authzid && authzid !== user) return { foreignAuthzid: true, user }
    return { mechanism, user, password }
  }
  if (mech === 'LOGIN') {
    const u =
      initial !== undefined ? initial : await readResponse(s, Buffer.from('Username:').toString('base64'))
    if (typeof u !== 'string') return u
    const user = decode(u)
    if (user === undefined) return 'malformed'
    const p = await readResponse(s, Buffer.from('Password:').toString('base64'))
    if (typeof p !== 'string') return p
    const password = decode(p)
    if (password === undefined) return 'malformed'
    return { mechanism, user, password }
  }
  const challenge = `<${randomBytes(8).toString('hex')}.${Date.now()}@${s.settings.me}>`
  const resp = await readResponse(s, Buffer.from(challenge).toString('base64'))
  if (typeof resp !== 'string') return resp
  const text = decode(resp)
  const m = text ? /^(\S+) ([0-9a-fA-F]{32})$/.exec(text) : null
  if (!m) return 'malformed'
  return { mechanism, user: m[1]!, response: m[2]!.toLowerCase(), challenge }
}
