/**
 * check_dns (qpsmtpd's require_resolvable_fromhost, later resolvable_fromhost): the envelope
 * sender's domain must have an MX or an A/AAAA record, and must not resolve only into invalid
 * networks; otherwise bounces to it could never be delivered. Lookups start at MAIL and are read
 * at RCPT. A DNS failure (SERVFAIL, timeout) is always a temporary 451 4.4.3, never a 5xx.
 */
import {
  DENY,
  DENYSOFT,
  definePlugin,
  immunity,
  isSpecialRecipient,
  lookupDomain,
  parseRejectMode,
  parseRejectType,
  type Transaction,
  type TransactionContext,
} from '@postern/core'
import { peerDependencies } from '../package.json'
import { defaultNetworks, type Networks, parseNetworks } from './networks.js'
import { refuse } from './reject.js'
import { type Resolution, resolveDomain } from './resolve.js'

/** Transaction note: `mx`, `a`, `ip`, `null`, `whitelist`, or the failure (qpsmtpd's names). */
export const RESULT_NOTE = 'resolvable_fromhost'
/** Transaction note: the sender domain that was checked. */
export const HOST_NOTE = 'resolvable_fromhost_host'

export { DEFAULT_INVALID_NETWORKS, defaultNetworks, type Networks, parseNetworks } from './networks.js'
export { type Resolution, resolveDomain } from './resolve.js'

export default definePlugin({
  name: 'check_dns',
  aliases: ['require_resolvable_fromhost', 'resolvable_fromhost'],
  core: peerDependencies['@postern/core'],
  description: "Requires the envelope sender's domain to resolve (MX or A/AAAA) outside invalid networks",
  async setup({ config, args, dns }) {
    // Without the file the defaults apply; an empty file means "none" (qpsmtpd had no default).
    // Parsed again only when the file changes, so the existence check is not made per MAIL.
    const networks = await config.parsed(
      'invalid_resolvable_fromhost',
      (lines): Networks =>
        lines.length || config.raw('invalid_resolvable_fromhost') !== undefined
          ? parseNetworks(lines)
          : defaultNetworks(),
    )
    const invalid = () => networks.get()
    const mode = parseRejectMode(args)
    // qpsmtpd's default: a temporary refusal, so a DNS glitch at the sender costs a retry, not a bounce.
    const failCode = parseRejectType(args.get('reject_type'), DENYSOFT)
    const checks = new WeakMap<Transaction, Promise<Resolution | undefined>>()

    async function run(ctx: TransactionContext): Promise<Resolution | undefined> {
      const sender = ctx.transaction.sender
      const notes = ctx.transaction.notes
      if (!sender || sender.isNull) {
        notes.set(RESULT_NOTE, 'null')
        return undefined
      }
      if (sender.host.startsWith('[')) {
        notes.set(RESULT_NOTE, 'ip')
        return undefined
      }
      const domain = lookupDomain(sender.host)
      notes.set(HOST_NOTE, sender.host)
      if (!domain)
        return { status: 'fail', reason: 'no-address', detail: `${sender.host} is not a resolvable domain` }
      return resolveDomain(dns, domain, await invalid())
    }

    function check(ctx: TransactionContext): Promise<Resolution | undefined> {
      let pending = checks.get(ctx.transaction)
      if (!pending) {
        const log = ctx.log
        pending = run(ctx).catch((err: unknown): Resolution => {
          log.error(`check failed: ${(err as Error).message}`)
          return { status: 'temp', detail: (err as Error).message }
        })
        checks.set(ctx.transaction, pending)
      }
      return pending
    }

    return {
      mail(ctx) {
        if (ctx.isImmune()) {
          ctx.transaction.notes.set(RESULT_NOTE, 'whitelist')
          return
        }
        void check(ctx) // started now, read at RCPT
      },
      async rcpt(ctx, recipient) {
        if (ctx.isImmune()) {
          ctx.transaction.notes.set(RESULT_NOTE, 'whitelist')
          return
        }
        // A recipient-only whitelist skips this recipient; the note keeps the sender's result.
        const immune = immunity(ctx.connection, ctx.transaction, recipient)
        if (immune) {
          ctx.log.result('skip', `immune (${immune})`)
          return
        }
        const result = await check(ctx)
        if (!result) {
          ctx.log.result('pass', `${ctx.transaction.notes.string(RESULT_NOTE) ?? 'no'} sender`)
          return
        }
        const notes = ctx.transaction.notes
        if (result.status === 'pass') {
          notes.set(RESULT_NOTE, result.via)
          ctx.log.result('pass', result.detail)
          return
        }
        notes.set(RESULT_NOTE, result.detail)
        if (isSpecialRecipient(recipient)) {
          ctx.log.result('skip', `${result.detail}, but ${recipient.user} is always reachable`)
          return
        }
        const domain = notes.string(HOST_NOTE) ?? ''
        if (result.status === 'temp')
          return refuse(
            ctx,
            mode,
            DENYSOFT,
            `Temporary DNS failure resolving ${domain}, try again later`,
            '4.4.3',
            result.detail,
          )
        if (result.reason === 'null-mx')
          return refuse(
            ctx,
            mode,
            DENY,
            `Sender domain ${domain} accepts no mail (null MX)`,
            '5.7.27',
            result.detail,
          )
        const text =
          result.reason === 'nxdomain'
            ? `Sender domain ${domain} does not exist`
            : `Sender domain ${domain} has no usable MX or address record`
        return refuse(ctx, mode, failCode, text, '5.1.8', result.detail)
      },
    }
  },
})
