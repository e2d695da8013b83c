/**
 * From delivery results to what a queue hook returns: local failures become replies with the
 * RFC 3463 code for their cause, and a `Decision` becomes a verdict that keeps the next hop's
 * reply code (`reply`), text and enhanced code.
 */
import { type Deny, type DenySoft, deny, denysoft, type EnhancedCode, type Verdict } from '@postern/core'
import { SmtpClientError } from './errors.js'
import type { Decision } from './outcome.js'
import type { Reply } from './reply.js'

const local = (enhanced: EnhancedCode, text: string): Reply => ({ code: 451, enhanced, lines: [text] })

/**
 * The reply our client hears for a failure on our side of the conversation. The text names no
 * host or address of the next hop (that stays in the log); `hop` is a word like "smarthost".
 */
export function errorReply(err: unknown, hop: string): Reply {
  if (!(err instanceof SmtpClientError))
    return local('4.3.0', `Delivery to the ${hop} failed, try again later`)
  switch (err.kind) {
    case 'connect':
      return local('4.4.1', `Unable to connect to the ${hop}, try again later`)
    case 'connect-timeout':
      return local('4.4.1', `No answer from the ${hop}, try again later`)
    case 'timeout':
      return local('4.4.2', `Timeout talking to the ${hop}, try again later`)
    case 'tls-unavailable':
      return local('4.7.4', `TLS is required, but was not offered by the ${hop}`)
    case 'tls':
      return local('4.7.5', `TLS failure talking to the ${hop}, try again later`)
    case 'auth':
      return local('4.7.0', `Cannot authenticate to the ${hop}, try again later`)
    case 'refused':
      return local('4.4.0', `The ${hop} refused the session, try again later`)
    default:
      return local('4.4.2', `Connection to the ${hop} failed, try again later`)
  }
}

/** The verdict for a failed decision (an OK is the caller's, with its own text). */
export function failureVerdict(decision: Decision): Verdict<Deny | DenySoft> {
  return decision.result === 'permanent'
    ? deny(decision.lines, decision.enhanced, decision.code)
    : denysoft(decision.lines, decision.enhanced, decision.code)
}
