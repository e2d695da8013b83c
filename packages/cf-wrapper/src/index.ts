/**
 * cf_wrapper: one SMTP answer for content filters that decide per recipient. Filters record a
 * verdict per recipient (defineContentFilter, or setRecipientVerdict from any plugin); after
 * them (data_post, order `post`) cf_wrapper answers for the message:
 *
 * - every recipient accepted: DECLINED (the queue takes it);
 * - every recipient refused the same way: that refusal (5xx, or 4xx);
 * - a mixed result — SMTP has one reply after DATA, for all recipients — by `mixed`:
 *   - `defer` (default): 451 for the whole message, and each refusal is remembered for
 *     (sender, recipient). When the client retries, those recipients are refused at RCPT with
 *     the filter's own code and text; the others are accepted and get the message. The sending
 *     MTA bounces the refused ones with the real reason: nobody's mail is lost or misreported.
 *   - `accept`: the refused recipients are dropped, silently, and the message is queued for
 *     the rest (only for filters whose refusal means "discard", such as a per-user spam folder
 *     the user opted out of);
 *   - `reject`: the whole message is refused with the first refusal (5xx if any was permanent).
 */
import { DENY, DENYSOFT, definePlugin, type EnhancedCode, type RefusalCode, refusal } from '@postern/core'
import { peerDependencies } from '../package.json'
import { retryKey, saveRefusal, takeRefusal } from './retry-store.js'
import { type Outcome, outcomeOf } from './verdicts.js'

export {
  type ContentFilter,
  type ContentFilterDefinition,
  defineContentFilter,
  type RecipientVerdicts,
} from './filter.js'
export { retryKey } from './retry-store.js'
export {
  NOTE,
  type Outcome,
  outcomeOf,
  type RecipientVerdict,
  recipientVerdicts,
  setRecipientVerdict,
} from './verdicts.js'

type Refused = Exclude<Outcome, { kind: 'accept' }>

const MIXED_TEXT = 'Some recipients refused this message; please try again (they will be refused one by one)'

export default definePlugin({
  name: 'cf_wrapper',
  core: peerDependencies['@postern/core'],
  description: 'One SMTP answer for content filters that accept or reject per recipient',
  setup({ args, store }) {
    const mixed = (args.get('mixed') ?? 'defer').toLowerCase()
    if (mixed !== 'defer' && mixed !== 'accept' && mixed !== 'reject')
      throw new Error(`mixed must be defer, accept or reject, not ${args.get('mixed')}`)
    const ttlText = args.get('retry_ttl') ?? '86400'
    const ttlMs = Number(ttlText) * 1000
    if (!Number.isFinite(ttlMs) || ttlMs <= 0)
      throw new Error(`retry_ttl must be a number of seconds, not ${ttlText}`)

    const answer = (o: Refused, code: RefusalCode = o.code) =>
      refusal(
        code,
        o.message.length ? o.message.join('\n') : 'Message refused by content filter',
        o.enhanced ?? ('5.7.1' as EnhancedCode),
      )

    return {
      // `pre`: a remembered refusal must be applied before the plugin that accepts recipients.
      rcpt: {
        order: 'pre',
        async handler(ctx, recipient) {
          if (mixed !== 'defer') return
          const sender = ctx.transaction.sender?.address ?? ''
          const stored = await takeRefusal(store, retryKey(sender, recipient.address))
          if (!stored) return
          ctx.log.result('fail', `refused ${recipient.address} as its content filter did at the last attempt`)
          return refusal(
            stored.code,
            stored.message.join('\n') || 'Message refused by content filter',
            stored.enhanced,
          )
        },
      },

      data_post: {
        order: 'post',
        async handler(ctx) {
          const tx = ctx.transaction
          const outcomes = tx.recipients.map((r) => ({ recipient: r, outcome: outcomeOf(r) }))
          const refused = outcomes.filter(
            (o): o is { recipient: (typeof o)['recipient']; outcome: Refused } => o.outcome.kind !== 'accept',
          )
          if (refused.length === 0) return
          const kinds = new Set(outcomes.map((o) => o.outcome.kind))
          const first = refused[0]!.outcome
          const firstPerm = refused.find((o) => o.outcome.kind === 'perm')?.outcome
          const summary = refused.map((o) => `${o.recipient.address}: ${o.outcome.filter}`).join(', ')
          if (kinds.size === 1) {
            ctx.log.result('fail', `refused for every recipient (${summary})`)
            return answer(first)
          }
          if (mixed === 'reject') {
            ctx.log.result('fail', `mixed result, refused whole (${summary})`)
            return answer(firstPerm ?? first, firstPerm ? DENY : DENYSOFT)
          }
          if (mixed === 'accept') {
            const keep = outcomes.filter((o) => o.outcome.kind === 'accept').map((o) => o.recipient)
            if (keep.length === 0) return answer(first, DENYSOFT) // only temporary and permanent refusals: retry
            tx.setRecipients(keep)
            ctx.log.result('info', `mixed result, dropped ${summary}`)
            return
          }
          const sender = tx.sender?.address ?? ''
          for (const { recipient, outcome } of refused) {
            await saveRefusal(
              store,
              retryKey(sender, recipient.address),
              {
                code: outcome.code,
                message: outcome.message,
                ...(outcome.enhanced ? { enhanced: outcome.enhanced } : {}),
              },
              ttlMs,
            )
          }
          ctx.log.result('fail', `mixed result, deferred; on retry refused at RCPT: ${summary}`)
          // 451, not the 452 a data_post DENYSOFT gets by default: 452 means "insufficient
          // storage", and nothing here is short of space (RFC 5321 §4.2.3).
          return { ...refusal(DENYSOFT, MIXED_TEXT, '4.7.0'), reply: 451 }
        },
      },
    }
  },
})
