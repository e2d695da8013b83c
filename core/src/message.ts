/**
 * The message as plugins see it after DATA: the current header (with every plugin's changes)
 * and a body that can be read as many times as needed. The engine keeps the bytes in a spool
 * file; plugins never see the live socket.
 */
import type { Readable } from 'node:stream'

export interface MessageBody {
  /** Bytes received after DATA (header and body, CRLF line ends, dot-stuffing removed). */
  readonly size: number
  /** Bytes of the header block as received, blank line included. */
  readonly headerSize: number
  /** Path of the spool file holding the message as received, for scanners that want a file. */
  readonly path?: string
  /**
   * A new stream each call.
   * - `'message'` (default): the current header (plugins' changes included) then the body;
   *   this is what queues deliver.
   * - `'body'`: the body only.
   * - `'raw'`: the bytes exactly as received.
   */
  stream(part?: 'message' | 'body' | 'raw'): Readable
  /**
   * Frees what holds the message (the spool file). The engine calls it when the transaction
   * ends; a plugin that replaces `tx.body` with a wrapper must pass the call on.
   */
  remove?(): Promise<void>
}
