/**
 * The trace headers the engine adds once a message is complete: Received (RFC 5321 §4.4, with
 * the RFC 3848 protocol name) and Authentication-Results (RFC 8601). Results other plugins found
 * (SPF, DKIM, …) are read from the connection note `authentication_results` (strings).
 */
import { type Connection, type Header, NOTE, type Transaction } from '@postern/core'

let cachedSecond = -1
let cachedDate = ''

function rfc5322Date(d: Date): string {
  // Formatting a date costs more than the rest of the header: one string per second is enough.
  const second = Math.floor(d.getTime() / 1000)
  if (second !== cachedSecond) {
    // e.g. "Fri, 27 Nov 2026 05:00:00 +0000" (toUTCString says "… GMT")
    cachedDate = d.toUTCString().replace('GMT', '+0000')
    cachedSecond = second
  }
  return cachedDate
}

export function protocolName(connection: Connection, utf8: boolean): string {
  const base = connection.protocol
  return utf8 && base !== 'SMTP' ? base.replace(/^ESMTP/, 'UTF8SMTP') : base
}

export function receivedValue(connection: Connection, tx: Transaction, me: string, protocol: string): string {
  const helo = connection.helloHost ?? 'unknown'
  const host = connection.remoteHost.startsWith('[') ? '' : `${connection.remoteHost} `
  const tls = connection.tls ? ` (${connection.tls.protocol} ${connection.tls.cipher})` : ''
  const auth = connection.auth ? ` (authenticated as ${connection.auth.user})` : ''
  const rcpt = tx.recipients.length === 1 ? `\r\n\tfor ${tx.recipients[0]!.format()}` : ''
  return `from ${helo} (${host}[${connection.remoteIp}])${auth}\r\n\tby ${me} (Postern) with ${protocol}${tls} id ${tx.id}${rcpt};\r\n\t${rfc5322Date(new Date())}`
}

/**
 * Adds our Authentication-Results header. Incoming A-R headers that claim our authserv-id are
 * renamed, so a sender cannot forge our verdicts (RFC 8601 §5).
 */
export function addAuthenticationResults(header: Header, connection: Connection, authServId: string): void {
  const ours = authServId.toLowerCase()
  for (const value of header.getAll('Authentication-Results')) {
    if (value.split(';')[0]!.trim().toLowerCase() === ours) {
      header.rename('Authentication-Results', 'Original-Authentication-Results')
      break
    }
  }
  const results: string[] = []
  if (connection.auth) results.push(`auth=pass smtp.auth=${connection.auth.user}`)
  const extra = connection.notes.value<unknown>(NOTE.authResults)
  if (Array.isArray(extra))
    for (const r of extra) if (typeof r === 'string' && !/[\r\n]/.test(r)) results.push(r)
  header.add(
    'Authentication-Results',
    results.length ? `${authServId};\r\n\t${results.join(';\r\n\t')}` : `${authServId}; none`,
  )
}
