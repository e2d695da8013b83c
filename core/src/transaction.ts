/**
 * One mail transaction: from MAIL to the end of DATA, RSET or a new MAIL.
 */
import { Address } from './address.js'
import type { Header } from './header.js'
import type { MessageBody } from './message.js'
import { Notes } from './notes.js'

let counter = 0

export class Transaction {
  readonly id: string
  readonly startedAt = Date.now()
  readonly notes = new Notes()
  /** Set once a mail hook accepted the sender. */
  sender: Address | undefined
  /** ESMTP parameters of MAIL FROM, keys lower-cased (`size`, `body`, `smtputf8`, …). */
  readonly mailParams = new Map<string, string>()
  readonly #recipients: Address[] = []
  /** Parsed at the end of the header block during DATA. */
  header: Header | undefined
  /** Set after the end of DATA. */
  body: MessageBody | undefined

  constructor(connectionId: string) {
    this.id = `${connectionId}.${(++counter).toString(36)}`
  }

  get recipients(): readonly Address[] {
    return this.#recipients
  }

  addRecipient(address: Address): void {
    this.#recipients.push(address)
  }

  /** Removes every recipient equal to `address`; returns how many were removed. */
  removeRecipient(address: Address | string): number {
    const target = typeof address === 'string' ? Address.parse(address, { allowBare: true }) : address
    let removed = 0
    for (let i = this.#recipients.length - 1; i >= 0; i--) {
      if (this.#recipients[i]!.equals(target)) {
        this.#recipients.splice(i, 1)
        removed++
      }
    }
    return removed
  }

  /** Replaces the whole recipient list (for plugins that rewrite or expand recipients). */
  setRecipients(addresses: readonly Address[]): void {
    this.#recipients.length = 0
    this.#recipients.push(...addresses)
  }

  /** The message's size in bytes, known once DATA has ended (0 until then, also during DATA). */
  get size(): number {
    return this.body?.size ?? 0
  }
}
