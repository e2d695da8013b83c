/**
 * What a session needs from its connection. The socket server implements it over TCP/TLS; the
 * in-memory session in @postern/testing implements it over a pair of buffers.
 */
import type { TlsInfo } from '@postern/core'

export interface Transport {
  write(data: string): void
  /** Ends the connection after pending output is written. */
  close(): void
  /**
   * Replies are piling up unread (a client that sends and never reads): the session stops
   * taking commands until `drained()` resolves. Absent: never backlogged.
   */
  readonly backlogged?: boolean
  /** Resolves once the written replies have gone out (or the connection is gone). */
  drained?(): Promise<void>
  /** Pauses and resumes reading (backpressure from the input buffer). */
  pause(): void
  resume(): void
  /** Whether STARTTLS can be offered. */
  readonly tlsAvailable: boolean
  /** Upgrades to TLS (after the 220 was written); resolves with the session's TLS details. */
  startTls(): Promise<TlsInfo>
}
