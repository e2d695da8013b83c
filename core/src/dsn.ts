/**
 * DSN helpers: verdicts for the common refusals, each with its RFC 3463 enhanced status code
 * and a default text. The class digit follows the code: a DENYSOFT variant of `relayingDenied`
 * carries 4.7.1.
 */
import {
  DENY,
  DENY_DISCONNECT,
  DENYSOFT,
  DENYSOFT_DISCONNECT,
  type Deny,
  type DenyDisconnect,
  type DenySoft,
  type DenySoftDisconnect,
  type EnhancedCode,
  isTemporary,
  type Verdict,
} from './codes.js'

export type RefusalCode = Deny | DenySoft | DenyDisconnect | DenySoftDisconnect
type Helper<D extends RefusalCode> = <C extends RefusalCode = D>(message?: string, code?: C) => Verdict<C>

function helper<D extends RefusalCode>(subjectDetail: string, text: string, defaultCode: D): Helper<D> {
  return <C extends RefusalCode = D>(message?: string, code?: C): Verdict<C> => {
    const c = (code ?? defaultCode) as C
    const klass = isTemporary(c) ? 4 : 5
    return { code: c, message: message ?? text, enhanced: `${klass}.${subjectDetail}` as EnhancedCode }
  }
}

/** Verdict helpers by name; every helper takes an optional message and return code. */
export const dsn = {
  // addressing (X.1.X)
  badDestinationMailbox: helper('1.0', 'Other address status', DENY),
  noSuchUser: helper('1.1', 'No such user', DENY),
  badDestinationSyntax: helper('1.3', 'Bad destination mailbox address syntax', DENY),
  ambiguousDestination: helper('1.4', 'Destination mailbox address ambiguous', DENY),
  userMoved: helper('1.6', 'Destination mailbox has moved', DENY),
  badSenderSyntax: helper('1.7', 'Bad sender mailbox address syntax', DENY),
  badSenderSystem: helper('1.8', "Bad sender's system address", DENY),
  // mailbox (X.2.X)
  mailboxDisabled: helper('2.1', 'Mailbox disabled, not accepting messages', DENY),
  mailboxFull: helper('2.2', 'Mailbox full', DENYSOFT),
  mailboxMessageTooLong: helper('2.3', 'Message length exceeds administrative limit', DENY),
  mailingListExpansion: helper('2.4', 'Mailing list expansion problem', DENYSOFT),
  // mail system (X.3.X)
  systemFull: helper('3.1', 'Mail system full', DENYSOFT),
  systemNotAccepting: helper('3.2', 'System not accepting network messages', DENYSOFT),
  messageTooBig: helper('3.4', 'Message too big for system', DENY),
  systemIncorrectlyConfigured: helper('3.5', 'System incorrectly configured', DENYSOFT),
  systemError: helper('3.0', 'Other or undefined mail system status', DENYSOFT),
  // network and routing (X.4.X)
  noAnswerFromHost: helper('4.1', 'No answer from host', DENYSOFT),
  badConnection: helper('4.2', 'Bad connection', DENYSOFT),
  routingServerFailure: helper('4.3', 'Directory server failure', DENYSOFT),
  tempResolverFailed: helper('4.3', 'Temporary DNS failure, try again later', DENYSOFT),
  systemCongested: helper('4.5', 'Mail system congested', DENYSOFT),
  tooManyHops: helper('4.6', 'Too many hops (mail loop?)', DENY),
  deliveryTimeExpired: helper('4.7', 'Delivery time expired', DENYSOFT),
  // protocol (X.5.X)
  protocolInvalidCommand: helper('5.1', 'Invalid command', DENY),
  protocolSyntaxError: helper('5.2', 'Syntax error', DENY),
  tooManyRecipients: helper('5.3', 'Too many recipients', DENYSOFT),
  invalidCommandArguments: helper('5.4', 'Invalid command arguments', DENY),
  // content (X.6.X)
  mediaUnsupported: helper('6.1', 'Media not supported', DENY),
  conversionRequired: helper('6.2', 'Conversion required and prohibited', DENY),
  // security and policy (X.7.X)
  policyViolation: helper('7.0', 'Message refused by policy', DENY),
  relayingDenied: helper('7.1', 'Relaying denied', DENY),
  senderUnauthorized: helper('7.1', 'Sender not authorized', DENY),
  authenticationRequired: helper('7.0', 'Authentication required', DENY),
  authenticationFailed: helper('7.8', 'Authentication credentials invalid', DENY),
  encryptionRequired: helper('7.11', 'Encryption required', DENY),
  badSenderIp: helper('7.1', 'Your IP address is not allowed to send mail', DENY),
  spamRefused: helper('7.1', 'Message refused as spam', DENY),
  virusRefused: helper('7.1', 'Message refused: virus found', DENY),
} as const

export type DsnHelperName = keyof typeof dsn

/** Exported for plugins that choose the code at run time. */
export const REFUSAL_CODES: readonly RefusalCode[] = [DENY, DENYSOFT, DENY_DISCONNECT, DENYSOFT_DISCONNECT]
