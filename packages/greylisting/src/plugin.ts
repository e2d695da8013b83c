/**
 * greylisting (qpsmtpd's greylisting, formerly denysoft_greylist; RFC 6647): mail from an unknown
 * (client, sender, recipient) triplet is deferred with a 4xx for `black_timeout`; a client that
 * retries within the grey window is let through and remembered ("white") for `white_timeout`.
 * Real MTAs retry; fire-and-forget spamware does not.
 *
 * The triplet is checked at RCPT (the recipient is known then, for per-recipient settings and
 * exclusions) and refused there, or at DATA with `deny_late 1` and for the null sender (so
 * sender-verification probes, which stop after RCPT, are not deferred). State is kept in the
 * site's store: with Redis, every node sees the same triplets.
 */
import {
  type Address,
  type DenySoft,
  definePlugin,
  denysoft,
  formatDuration,
  type Verdict as HookVerdict,
  immunity,
  ipListFromLines,
  NOTE,
  type TransactionContext,
  withDeadline,
} from '@postern/core'
import { peerDependencies } from '../package.json'
import { AddressList, HostList } from './lists.js'
import { clientNetwork } from './network.js'
import { formatRecord, parseRecord, step, type Verdict } from './record.js'
import { applySettings, DEFAULTS, SETTING_KEYS, type Settings, settingLines } from './settings.js'

/** Transaction note holding the deferral to give at DATA (`deny_late`, null sender). */
export const GREYLIST_NOTE = 'greylist'
/** Transaction note: triplet key → verdict, so one transaction counts each triplet once. */
const SEEN_NOTE = 'greylisting_seen'

const PLUGIN_KEYS: ReadonlySet<string> = new Set([
  'per_recipient',
  'store_down',
  'store_timeout',
  'ipv4_prefix',
  'ipv6_prefix',
  'loglevel',
  'hook_timeout',
  'on_error',
])

type Outcome = Verdict | { readonly pass: 'store-down'; readonly error: string }

/** Keys are built from client input: escape the separator so no two triplets share a key. */
function part(label: string, value: string): string {
  return `${label}=${value.replace(/[%|]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}`
}

function addressText(a: Address | undefined): string {
  return !a || a.isNull ? '<>' : a.address.toLowerCase()
}

export default definePlugin({
  name: 'greylisting',
  aliases: ['denysoft_greylist'],
  core: peerDependencies['@postern/core'],
  description: 'Greylisting (RFC 6647) on a configurable (ip, sender, recipient) triplet',
  async setup({ args, config, store, log }) {
    const fileLines = await config.list('denysoft_greylist')
    const argPairs = args.keys().map((k) => [k, args.get(k)!] as const)
    for (const [k] of [...settingLines(fileLines), ...argPairs])
      if (!PLUGIN_KEYS.has(k) && !SETTING_KEYS.has(k)) log.warn(`unknown argument ${k} (ignored)`)
    // File first, then arguments: the config/plugins line has the last word.
    const base = applySettings(DEFAULTS, [...settingLines(fileLines), ...argPairs])
    const perRecipient = args.bool('per_recipient', false)
    const storeDown = args.string('store_down', 'pass').toLowerCase()
    if (storeDown !== 'pass' && storeDown !== 'defer')
      throw new Error(`store_down must be pass or defer, not ${storeDown}`)
    const storeTimeout = args.number('store_timeout', 2) * 1000
    const ipv4Prefix = args.number('ipv4_prefix', 32)
    const ipv6Prefix = args.number('ipv6_prefix', 64)

    const cidrs = await config.parsed('greylist_exclude_ip', (lines) => ipListFromLines(lines))
    const words = (lines: readonly { value: string }[]) => lines.map((l) => l.value.split(/\s+/)[0]!)
    const rdns = await config.parsed('greylist_exclude_rdns', (l) => new HostList(words(l)))
    const senders = await config.parsed('greylist_exclude_senders', (l) => new AddressList(words(l)))
    const recipients = await config.parsed('greylist_exclude_recipients', (l) => new AddressList(words(l)))
    const optIn = await config.parsed('greylist_recipients', (l) => new AddressList(words(l)))

    /** Settings for one recipient: user_config answers (per_recipient) over the base. */
    async function settingsFor(ctx: TransactionContext, rcpt: Address): Promise<Settings> {
      if (!perRecipient) return base
      const own = await config.forAddress(rcpt, 'denysoft_greylist')
      // forAddress falls back to the global file, which is already in `base`.
      if (own.length === fileLines.length && own.every((v, i) => v === fileLines[i])) return base
      try {
        return applySettings(base, settingLines(own))
      } catch (err) {
        ctx.log.warn(`denysoft_greylist for ${rcpt.address}: ${(err as Error).message}; using the defaults`)
        return base
      }
    }

    /** Why this recipient is not greylisted, or undefined. */
    async function exempt(ctx: TransactionContext, rcpt: Address, s: Settings): Promise<string | undefined> {
      const c = ctx.connection
      // Relay client, whitelisted host or sender, and what a whitelist marked on this recipient.
      const immune = immunity(c, ctx.transaction, rcpt)
      if (immune) return immune
      if (s.off) return 'off for this recipient'
      const ip = (await cidrs.get()).match(c.remoteIp)
      if (ip) return `client in ${ip.text}`
      if ((await rdns.get()).matches(c.remoteHost)) return `client host ${c.remoteHost} excluded`
      if ((await senders.get()).matches(ctx.transaction.sender)) return 'sender excluded'
      if ((await recipients.get()).matches(rcpt)) return 'recipient excluded'
      if (perRecipient) {
        const list = await optIn.get()
        if (list.size && !list.matches(rcpt)) return 'recipient did not opt in'
      }
      return undefined
    }

    function tripletKey(ctx: TransactionContext, rcpt: Address, s: Settings): string | undefined {
      const parts: string[] = []
      if (s.remoteIp) {
        const net = clientNetwork(ctx.connection.remoteIp, ipv4Prefix, ipv6Prefix)
        if (!net) return undefined
        parts.push(part('ip', net))
      }
      if (s.sender) parts.push(part('from', addressText(ctx.transaction.sender)))
      if (s.recipient) parts.push(part('to', addressText(rcpt)))
      return parts.join('|')
    }

    async function check(ctx: TransactionContext, key: string, s: Settings): Promise<Outcome> {
      const seen = ctx.transaction.notes.value<Map<string, Verdict>>(SEEN_NOTE) ?? new Map<string, Verdict>()
      ctx.transaction.notes.set(SEEN_NOTE, seen)
      const cached = seen.get(key)
      if (cached) return cached
      try {
        const prior = parseRecord(await withDeadline(store.get(key), storeTimeout, ctx.signal))
        const next = step(prior, Date.now(), s.timeouts)
        await withDeadline(
          store.set(key, formatRecord(next.record), { ttl: next.ttl }),
          storeTimeout,
          ctx.signal,
        )
        seen.set(key, next.verdict)
        return next.verdict
      } catch (err) {
        return { pass: 'store-down', error: (err as Error).message }
      }
    }

    return {
      async rcpt(ctx: TransactionContext, rcpt: Address) {
        const s = await settingsFor(ctx, rcpt)
        const why = await exempt(ctx, rcpt, s)
        if (why) {
          ctx.log.result('skip', why)
          return
        }
        const key = tripletKey(ctx, rcpt, s)
        if (!key) {
          ctx.log.result('skip', `no client address to key on (${ctx.connection.remoteIp})`)
          return
        }
        const outcome = await check(ctx, key, s)
        let refusal: HookVerdict<DenySoft> | undefined
        if (outcome.pass === 'store-down') {
          if (storeDown === 'pass') {
            ctx.log.result('error', `store unavailable, passing (store_down pass): ${outcome.error}`)
            return
          }
          ctx.log.result('error', `store unavailable, deferring (store_down defer): ${outcome.error}`)
          refusal = denysoft('Greylisting is unavailable; please try again later', '4.3.0')
        } else if (outcome.pass) {
          ctx.log.result('pass', `${outcome.why} ${key}`)
          return
        } else {
          const text = `This mail is temporarily denied (greylisted). Please try again in ${formatDuration(outcome.retryIn)}.`
          if (!s.reject) {
            ctx.log.result('fail, tolerated', `${outcome.why} ${key} (reject 0)`)
            return
          }
          ctx.log.result('fail', `${outcome.why} ${key}, retry in ${formatDuration(outcome.retryIn)}`)
          // 4.2.0 as postgrey sends: widely recognised by MTAs and their admins as greylisting.
          refusal = denysoft(text, '4.2.0')
        }
        const nullSender = !ctx.transaction.sender || ctx.transaction.sender.isNull
        if (s.denyLate || nullSender) {
          // Keep the first deferral; DATA gives it unless every recipient was whitelisted by then.
          if (!ctx.transaction.notes.has(GREYLIST_NOTE)) ctx.transaction.notes.set(GREYLIST_NOTE, refusal)
          return
        }
        return refusal
      },
      data(ctx: TransactionContext) {
        const refusal = ctx.transaction.notes.value<HookVerdict<DenySoft>>(GREYLIST_NOTE)
        if (!refusal) return
        const whitelisted = Number(ctx.transaction.notes.get(NOTE.whitelistRcpt) ?? 0)
        const rcpts = ctx.transaction.recipients
        if (
          rcpts.length &&
          (whitelisted >= rcpts.length ||
            rcpts.every((r) => immunity(ctx.connection, ctx.transaction, r) !== undefined))
        ) {
          ctx.log.result('skip', 'all recipients whitelisted')
          return
        }
        ctx.log.result('fail', 'deferred at DATA')
        return refusal
      },
    }
  },
})
