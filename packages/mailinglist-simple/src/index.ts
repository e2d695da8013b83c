/**
 * mailinglist_simple: very simple mailing lists on top of alias-file distribution. A recipient
 * named in `config/mailinglist_simple` is a list: a PROTECTED list refuses senders who are not
 * members (at RCPT, so other recipients of the same message are unaffected); a message to a
 * list gets `Precedence: bulk` and `X-Mailing-List` (so auto-responders stay quiet), a Reply-To
 * pointing at the list, and the list's signature at the end. Who receives the message is left
 * to the aliases plugin or the MTA behind the queue.
 *
 * aliases replaces the list address by its members when DATA starts, so by the end of DATA the
 * list may no longer be a recipient. The lists are therefore recorded at RCPT, while the
 * recipient is still the list address, in a transaction note; when DATA starts (before any
 * plugin without an order rewrites the recipients) the note keeps only recipients that were
 * accepted, and data_post_headers reads it.
 */
import { type Address, type ConfigLine, definePlugin, type TransactionContext } from '@postern/core'
import { peerDependencies } from '../package.json'
import { type MailingList, parseLists, parseMembers } from './lists.js'
import { planSignature } from './signature.js'
import { SignedBody } from './signed-body.js'

export { type MailingList, parseLists, parseMembers } from './lists.js'
export { planSignature, type SignaturePlan } from './signature.js'
export { SignedBody } from './signed-body.js'

/**
 * Transaction note: the lists this transaction was addressed to, by the recipient (the parsed
 * address the engine accepted) that named each.
 */
export const NOTE_LISTS = 'mailinglist_simple'

type ListsByRecipient = Map<Address, MailingList>

export default definePlugin({
  name: 'mailinglist_simple',
  core: peerDependencies['@postern/core'],
  description: 'Simple mailing lists: list headers, protected lists, signatures',
  async setup({ config }) {
    const lists = await config.parsed('mailinglist_simple', parseLists)
    // Member sets are rebuilt only when their file's lines change (the config service keeps
    // the same array while the file is unchanged).
    const memberSets = new WeakMap<readonly ConfigLine[], Set<string>>()
    async function members(list: MailingList): Promise<Set<string>> {
      const lines = await config.lines(list.members!)
      let set = memberSets.get(lines)
      if (!set) {
        set = parseMembers(lines)
        memberSets.set(lines, set)
      }
      return set
    }
    /** The lists noted at RCPT, then those still among the recipients (no expander ran). */
    async function listsOf(ctx: TransactionContext): Promise<MailingList[]> {
      const found = new Map<string, MailingList>()
      const noted = ctx.transaction.notes.value<ListsByRecipient>(NOTE_LISTS)
      for (const l of noted?.values() ?? []) found.set(l.address.toLowerCase(), l)
      const all = await lists.get()
      for (const r of ctx.transaction.recipients) {
        const key = r.address.toLowerCase()
        const l = all.get(key)
        if (l && !found.has(key)) found.set(key, l)
      }
      return [...found.values()]
    }

    function noteList(ctx: TransactionContext, recipient: Address, list: MailingList): void {
      const notes = ctx.transaction.notes
      let byRecipient = notes.value<ListsByRecipient>(NOTE_LISTS)
      if (!byRecipient) {
        byRecipient = new Map()
        notes.set(NOTE_LISTS, byRecipient)
      }
      byRecipient.set(recipient, list)
    }

    return {
      async rcpt(ctx, recipient) {
        const list = (await lists.get()).get(recipient.address.toLowerCase())
        if (!list) return
        // Noted before the member check: a refused recipient is dropped from the note at DATA.
        noteList(ctx, recipient, list)
        if (!list.protected) return
        const sender = ctx.transaction.sender?.address.toLowerCase() ?? ''
        if (sender && (await members(list)).has(sender)) {
          ctx.log.result('pass', `${sender} is a member of ${list.address}`)
          return
        }
        return ctx.reject(
          `Only members may post to the list ${list.address}`,
          '5.7.2',
          `${sender || '<>'} is not a member of ${list.address}`,
        )
      },

      data: {
        // Before aliases (and any other plugin without an order) rewrites the recipients.
        order: 'pre',
        handler(ctx) {
          const byRecipient = ctx.transaction.notes.value<ListsByRecipient>(NOTE_LISTS)
          if (!byRecipient) return
          // A recipient refused after this plugin's RCPT hook (by a later plugin, or by this
          // one as a non-member) never joined the transaction.
          const accepted = new Set(ctx.transaction.recipients)
          for (const recipient of byRecipient.keys())
            if (!accepted.has(recipient)) byRecipient.delete(recipient)
        },
      },

      async data_post_headers(ctx) {
        const tx = ctx.transaction
        const header = tx.header
        if (!header) return
        const found = await listsOf(ctx)
        if (found.length === 0) return
        header.delete('Precedence')
        header.add('Precedence', 'bulk', 'append')
        for (const l of found) header.add('X-Mailing-List', l.name, 'append')
        const replyTo = found.find((l) => l.replyTo)?.replyTo
        if (replyTo) {
          header.delete('Reply-To')
          header.add('Reply-To', `<${replyTo}>`, 'append')
        }
        const withSignature = found.find((l) => l.signature)
        if (!withSignature || !tx.body) return
        const text = config.raw(withSignature.signature!)
        if (text === undefined) {
          ctx.log.warn(`signature file ${withSignature.signature} of ${withSignature.address} does not exist`)
          return
        }
        if (tx.body instanceof SignedBody) return // a second run must not sign twice
        const plan = planSignature(header, text)
        if (plan.kind === 'skip') {
          ctx.log.info(`no signature for ${withSignature.address}: ${plan.why}`)
          return
        }
        tx.body = new SignedBody(tx.body, plan)
        ctx.log.info(`signature of ${withSignature.address} added (${plan.kind})`)
      },
    }
  },
})
