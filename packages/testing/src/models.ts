/**
 * Builders for the values hooks receive, with sensible defaults, so a test says only what
 * matters to it.
 */
import { Readable } from 'node:stream'
import {
  Address,
  Connection,
  type ConnectionInit,
  Header,
  type MessageBody,
  Transaction,
} from '@postern/core'

export interface TestConnectionInit extends Partial<ConnectionInit> {
  helloHost?: string
  helloType?: 'helo' | 'ehlo'
  relayClient?: boolean
  notes?: Record<string, unknown>
}

export function testConnection(init: TestConnectionInit = {}): Connection {
  const c = new Connection({
    remoteIp: init.remoteIp ?? '192.0.2.10',
    remotePort: init.remotePort ?? 41000,
    localIp: init.localIp ?? '127.0.0.1',
    localPort: init.localPort ?? 25,
    ...(init.remoteHost ? { remoteHost: init.remoteHost } : {}),
    ...(init.id ? { id: init.id } : {}),
  })
  c.helloHost = init.helloHost
  c.helloType = init.helloType ?? (init.helloHost ? 'ehlo' : undefined)
  c.relayClient = init.relayClient ?? false
  for (const [k, v] of Object.entries(init.notes ?? {})) c.notes.set(k, v)
  return c
}

/** `'user@example.com'`, `'<user@example.com>'` or `'<>'` → Address. */
export function testAddress(text: string): Address {
  return Address.parse(text.startsWith('<') ? text : `<${text}>`, { utf8: true })
}

export interface TestTransactionInit {
  sender?: string
  recipients?: string[]
  /** A whole message (header, blank line, body); sets `header` and `body`. */
  message?: string | Buffer
  notes?: Record<string, unknown>
}

export function testTransaction(connection: Connection, init: TestTransactionInit = {}): Transaction {
  const tx = new Transaction(connection.id)
  if (init.sender !== undefined) tx.sender = testAddress(init.sender)
  for (const r of init.recipients ?? []) tx.addRecipient(testAddress(r))
  if (init.message !== undefined) {
    const body = testMessage(init.message)
    tx.header = body.header
    tx.body = body
  }
  for (const [k, v] of Object.entries(init.notes ?? {})) tx.notes.set(k, v)
  return tx
}

/** An in-memory replayable message; LF line ends are turned into CRLF as the engine stores them. */
export function testMessage(raw: string | Buffer): MessageBody & { readonly header: Header } {
  const text = typeof raw === 'string' ? raw.replace(/\r?\n/g, '\r\n') : raw.toString('latin1')
  const bytes = typeof raw === 'string' ? Buffer.from(text) : raw
  const split = text.indexOf('\r\n\r\n')
  const headerSize =
    split < 0
      ? bytes.length
      : Buffer.byteLength(text.slice(0, split + 4), typeof raw === 'string' ? 'utf8' : 'latin1')
  const header = Header.parse(split < 0 ? text : text.slice(0, split + 2))
  const bodyBytes = bytes.subarray(headerSize)
  return {
    header,
    size: bytes.length,
    headerSize,
    stream(part = 'message') {
      if (part === 'raw') return Readable.from([bytes])
      if (part === 'body') return Readable.from([bodyBytes])
      return Readable.from([Buffer.from(header.toString()), bodyBytes])
    },
  }
}
