/**
 * mailinglist_simple: very simple mailing lists on top of alias-file distribution. A recipient
 * named in `config/mailinglist_simple` is a list: a PROTECTED list refuses senders who are not
 * members (at RCPT, so other recipients of the same message are unaffected); a message to a
 * list gets `Precedence: bulk` and `X-Mailing-List` (so auto-responders stay quiet), a Reply-To
 * pointing at the list, and the list's signature at the end. Who receives the message is left
 * to the aliases plugin or the MTA behind the queue.
 */
import { type ConfigLine, definePlugin, type TransactionContext } from '@postern/core'
import { peerDependencies } from '../package.json'
import { type MailingList, parseLists, parseMembers } from './lists.js'
import { planSignature } from './signature.js'
import { SignedBody } from './signed-body.js'

export { type MailingList, parseLists, parseMembers } from './lists.js'
export { planSignature, type SignaturePlan } from './signature.js'
export { SignedBody } from './signed-body.js'

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
    async function listsOf(ctx: TransactionContext): Promise<MailingList[]> {
      const all = await lists.get()
      const seen = new Set<MailingList>()
      for (const r of ctx.transaction.recipients) {
        const l = all.get(r.address.toLowerCase())
        if (l) seen.add(l)
      }
      return [...seen]
    }

    return {
      async rcpt(ctx, recipient) {
        const list = (await lists.get()).get(recipient.address.toLowerCase())
        if (!list?.protected) return
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
