/**
 * The session a hook sees, without the engine: its connection and transaction, and what the
 * plugins wrote to the client (replies, reply delays), with a way to make the client go away.
 */
import { Connection, type EnhancedCode, type SessionHost, type Transaction } from '@postern/core'
import {
  type TestConnectionInit,
  type TestTransactionInit,
  testConnection,
  testTransaction,
} from './models.js'

/** A session as the engine would give the dispatcher, recording what plugins wrote. */
export interface TestSession extends SessionHost {
  readonly connection: Connection
  transaction: Transaction | undefined
  /** Replies plugins wrote with `ctx.respond` (`"250 text"`, one string per line). */
  readonly replies: string[]
  /** The total reply delay plugins asked for. */
  readonly delay: number
  /** Simulates the client going away: aborts the session signal. */
  disconnect(): void
  /** Starts a transaction (as MAIL does). */
  begin(init?: TestTransactionInit): Transaction
}

export function testSession(connection: TestConnectionInit | Connection = {}): TestSession {
  const conn = connection instanceof Connection ? connection : testConnection(connection)
  const controller = new AbortController()
  let delay = 0
  const session: TestSession = {
    connection: conn,
    transaction: undefined,
    replies: [],
    get delay() {
      return delay
    },
    signal: controller.signal,
    async respond(code: number, message: string | readonly string[], enhanced?: EnhancedCode) {
      const lines = typeof message === 'string' ? message.split('\n') : [...message]
      for (const [i, l] of lines.entries()) {
        session.replies.push(
          `${code}${i < lines.length - 1 ? '-' : ' '}${enhanced ? `${enhanced} ` : ''}${l}`,
        )
      }
    },
    delayReplies(ms: number) {
      delay = ms === 0 ? 0 : delay + ms
    },
    disconnect() {
      controller.abort(new Error('client disconnected'))
    },
    begin(init?: TestTransactionInit) {
      session.transaction = testTransaction(conn, init)
      return session.transaction
    },
  }
  return session
}
