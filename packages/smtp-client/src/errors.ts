/**
 * Why a conversation with the next hop failed before it could give a reply about the mail. The
 * kind decides the enhanced status code a queue answers (RFC 3463): no connection is 4.4.1, a
 * connection that broke or stalled is 4.4.2, TLS problems are 4.7.x.
 */
export type SmtpErrorKind =
  /** TCP/unix connect failed (refused, unreachable, no such socket). */
  | 'connect'
  /** Connecting took longer than allowed. */
  | 'connect-timeout'
  /** Our deadline passed while talking. */
  | 'timeout'
  /** The caller aborted (client went away, hook deadline). */
  | 'aborted'
  /** The server closed the connection or the socket failed mid-conversation. */
  | 'closed'
  /** The server sent something that is not SMTP. */
  | 'protocol'
  /** TLS was required but not offered, or the handshake / certificate check failed. */
  | 'tls-unavailable'
  | 'tls'
  /** AUTH was configured but failed, was not offered, or would go over plaintext. */
  | 'auth'
  /** The server refused the greeting, EHLO/LHLO or another setup step (not the mail itself). */
  | 'refused'

export class SmtpClientError extends Error {
  override readonly name = 'SmtpClientError'

  constructor(
    readonly kind: SmtpErrorKind,
    message: string,
    /** The system error code (`ECONNREFUSED`), when there was one. */
    readonly errno?: string,
  ) {
    super(message)
  }
}
