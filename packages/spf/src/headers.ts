/**
 * The two ways the result leaves the plugin: a Received-SPF header (RFC 7208 §9.1) and an
 * Authentication-Results method entry (RFC 8601 §2.7.2), e.g. `spf=pass smtp.mailfrom=example.com`.
 */
import type { SpfOutcome } from './check.js'

const CONTROL = /[\x00-\x1f\x7f]+/g

/** A key-value pair value: a dot-atom as it is, anything else quoted. */
function value(text: string): string {
  const clean = text.replace(CONTROL, ' ')
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@:-]+$/.test(clean) ? clean : `"${clean.replace(/["\\]/g, '\\$&')}"`
}

function comment(text: string): string {
  return text
    .replace(CONTROL, ' ')
    .replace(/[()\\]/g, '\\$&')
    .slice(0, 300)
}

/** The Received-SPF field value. */
export function receivedSpf(o: SpfOutcome, receiver: string): string {
  const pairs = [
    `client-ip=${o.ip}`,
    `envelope-from=${value(o.sender)}`,
    ...(o.helo ? [`helo=${value(o.helo)}`] : []),
    `identity=${o.scope}`,
    `receiver=${value(receiver)}`,
  ]
  return `${o.result}${o.comment ? ` (${comment(o.comment)})` : ''} ${pairs.join('; ')};`
}

/** The Authentication-Results entry. */
export function authResult(o: SpfOutcome): string {
  return o.scope === 'helo'
    ? `spf=${o.result} smtp.helo=${o.domain}`
    : `spf=${o.result} smtp.mailfrom=${o.domain}`
}
