/**
 * spf (qpsmtpd's sender_permitted_from): SPF (RFC 7208) for the MAIL FROM identity, and for the
 * HELO identity, with mailauth through core's resolver. The HELO check starts at HELO/EHLO, the
 * MAIL FROM check at MAIL (a null sender is checked as postmaster@<helo>, RFC 7208 §2.4); both are
 * read at RCPT, where the `reject` level decides. The result goes out as a Received-SPF header
 * and an Authentication-Results entry.
 */
import { hostname } from 'node:os'
import {
  appendAuthResult,
  type Connection,
  definePlugin,
  immunity,
  isSpecialRecipient,
  lookupDomain,
  NOTE,
  plainIp,
  refusal,
  removeAuthResults,
  type SessionContext,
  type Transaction,
  type TransactionContext,
} from '@postern/core'
import { peerDependencies } from '../package.json'
import { checkSpf, type SpfOutcome } from './check.js'
import { authResult, receivedSpf } from './headers.js'
import { parseLevel, refusalFor } from './policy.js'

/**
 * Connection note the engine reads for its Authentication-Results header: an array of method
 * entries (`spf=pass smtp.mailfrom=example.com`). Plugins append; this one keeps only the current
 * transaction's entries there (plus the HELO one), removing its own on RSET and at the next MAIL.
 */
export const AUTH_RESULTS_NOTE = NOTE.authResults
/** Transaction note: the `SpfOutcome` of the MAIL FROM identity. */
export const SPF_NOTE = 'spf'
/** Connection note: the `SpfOutcome` of the HELO identity. */
export const SPF_HELO_NOTE = 'spf_helo'

export { checkSpf, type SpfOutcome, type SpfResult, type SpfScope } from './check.js'
export { authResult, receivedSpf } from './headers.js'
export { refusalFor } from './policy.js'
export { mailauthResolver } from './resolver.js'

export default definePlugin({
  name: 'spf',
  aliases: ['sender_permitted_from'],
  core: peerDependencies['@postern/core'],
  description: 'SPF checks of MAIL FROM and HELO: Received-SPF, Authentication-Results, reject levels',
  async setup({ config, args, dns }) {
    // qpsmtpd's older ways to say the level: `spf_deny 1|2` and config/spfbehavior.
    const legacy = args.has('spf_deny')
      ? String(args.number('spf_deny', 0) === 2 ? 4 : args.number('spf_deny', 0) === 1 ? 3 : 1)
      : await config.get('spfbehavior')
    const level = parseLevel(args.get('reject') ?? legacy, 1)
    const checkHelo = args.bool('helo', true)
    const timeoutMs = Math.max(1, args.number('timeout', 20)) * 1000
    const mta = (await config.get('me')) ?? hostname()

    const heloChecks = new WeakMap<Connection, { host: string; pending: Promise<SpfOutcome> }>()
    const mailChecks = new WeakMap<Transaction, Promise<SpfOutcome | undefined>>()
    const published = new WeakSet<Transaction>()
    const ourEntries = new WeakMap<Connection, readonly string[]>()

    function request(
      ctx: SessionContext,
      sender: string,
      scope: 'mailfrom' | 'helo',
      helo: string | undefined,
    ) {
      const ip = plainIp(ctx.connection.remoteIp)
      return checkSpf({ dns, sender, scope, ip, helo, mta, timeoutMs })
    }

    function startHelo(ctx: SessionContext): Promise<SpfOutcome> | undefined {
      const host = lookupDomain(ctx.connection.helloHost)
      if (!host) return undefined
      const known = heloChecks.get(ctx.connection)
      if (known?.host === host) return known.pending
      const pending = request(ctx, `postmaster@${host}`, 'helo', host)
      heloChecks.set(ctx.connection, { host, pending })
      return pending
    }

    function startMail(ctx: TransactionContext): Promise<SpfOutcome | undefined> {
      let pending = mailChecks.get(ctx.transaction)
      if (pending) return pending
      const sender = ctx.transaction.sender
      const helo = lookupDomain(ctx.connection.helloHost)
      if (!sender || sender.isNull) pending = startHelo(ctx) ?? Promise.resolve(undefined)
      else {
        const domain = lookupDomain(sender.host)
        // An address literal or a malformed domain has no SPF record to ask for.
        pending = domain
          ? request(ctx, `${sender.user}@${domain}`, 'mailfrom', helo)
          : Promise.resolve(undefined)
      }
      mailChecks.set(ctx.transaction, pending)
      return pending
    }

    /** Replaces this plugin's entries in the connection's Authentication-Results note. */
    function setAuthResults(connection: Connection, entries: readonly string[]): void {
      removeAuthResults(connection, ourEntries.get(connection) ?? [])
      appendAuthResult(connection, ...entries)
      ourEntries.set(connection, entries)
    }

    /** Waits for the checks and records them once per transaction (notes, A-R, log). */
    async function collect(ctx: TransactionContext): Promise<SpfOutcome | undefined> {
      const heloPending = checkHelo ? startHelo(ctx) : undefined
      const [outcome, heloOutcome] = await Promise.all([startMail(ctx), heloPending])
      if (published.has(ctx.transaction)) return outcome
      published.add(ctx.transaction)
      const entries: string[] = []
      if (heloOutcome) {
        ctx.connection.notes.set(SPF_HELO_NOTE, heloOutcome)
        entries.push(authResult(heloOutcome))
      }
      if (outcome) {
        const notes = ctx.transaction.notes
        notes.set(SPF_NOTE, outcome)
        // qpsmtpd's names, read by its dmarc and karma plugins.
        notes.set('dmarc_spf', { domain: outcome.domain, scope: outcome.scope, result: outcome.result })
        if (outcome.result === 'pass') notes.set('spf_pass_host', outcome.domain)
        const entry = authResult(outcome)
        if (!entries.includes(entry)) entries.push(entry)
      }
      setAuthResults(ctx.connection, entries)
      return outcome
    }

    function heloOnly(connection: Connection): string[] {
      const helo = connection.notes.value<SpfOutcome>(SPF_HELO_NOTE)
      return helo ? [authResult(helo)] : []
    }

    return {
      helo(ctx) {
        if (checkHelo && !ctx.isImmune()) void startHelo(ctx)
      },
      ehlo(ctx) {
        if (checkHelo && !ctx.isImmune()) void startHelo(ctx)
      },
      mail(ctx) {
        // A new transaction: the previous one's entries go.
        if (ourEntries.has(ctx.connection)) setAuthResults(ctx.connection, heloOnly(ctx.connection))
        if (!ctx.isImmune()) void startMail(ctx)
      },
      async rcpt(ctx, recipient) {
        const immune = immunity(ctx.connection, ctx.transaction, recipient)
        if (immune) {
          ctx.log.result('skip', `immune (${immune})`)
          return
        }
        const outcome = await collect(ctx)
        if (!outcome) {
          ctx.log.result('skip', 'no identity to check (address literal or no HELO name)')
          return
        }
        const what = `${outcome.result} for ${outcome.scope} ${outcome.domain}: ${outcome.comment}`
        const no = refusalFor(outcome, level)
        if (!no) {
          ctx.log.result(outcome.result === 'pass' ? 'pass' : 'fail, tolerated', what)
          return
        }
        if (isSpecialRecipient(recipient)) {
          ctx.log.result('skip', `${what}; ${recipient.user} is always reachable`)
          return
        }
        ctx.log.result('fail', what)
        return refusal(no.code, no.message, no.enhanced)
      },
      async data_post_headers(ctx) {
        if (ctx.isImmune() || !ctx.transaction.header) return
        const outcome = await collect(ctx)
        if (outcome) ctx.transaction.header.add('Received-SPF', receivedSpf(outcome, mta), 'prepend')
      },
      reset_transaction(ctx) {
        if (ourEntries.has(ctx.connection)) setAuthResults(ctx.connection, heloOnly(ctx.connection))
      },
    }
  },
})
