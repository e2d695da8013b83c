/**
 * The whitelist logic that `whitelist` and `whitelist_soft` share. Both read qpsmtpd's files
 * (whitelisthosts, whitelisthelo, whitelistsenders, whitelistrcpt, and $WHITELISTCLIENT) and set
 * the same notes; they differ only in what they return:
 *
 * - `override` (whitelist, as qpsmtpd 1.0 ships it): a match also answers OK for that hook, so
 *   the plugins after it in that phase do not run (a whitelisted recipient is accepted).
 * - `notes` (whitelist_soft): a match only sets the note and the chain goes on; later plugins
 *   decide, honouring the notes (core's isImmune(), the `whitelistrcpt` address note).
 *
 * Notes: connection `whitelistclient` ($WHITELISTCLIENT), `whitelisthost`, `whitelisthelo`;
 * transaction `whitelistsender` and `whitelistrcpt` (the number of whitelisted recipients);
 * address `whitelistrcpt` on each whitelisted recipient. With `per_recipient 1`, every check
 * runs at RCPT against the global lists merged with the recipient's own (user_config), and the
 * host / HELO / sender notes go on that recipient's address only.
 */
import {
  type Address,
  type ConfigLine,
  NOTE,
  ok,
  type PluginHooks,
  type PluginSetupContext,
  type SessionContext,
  type TransactionContext,
} from '@postern/core'
import { AddressList, type AddressListOptions } from './address-list.js'
import { IpList, type IpListOptions } from './ip-list.js'

export type WhitelistMode = 'override' | 'notes'

/** Connection note set when $WHITELISTCLIENT is in the environment. */
export const WHITELIST_CLIENT = 'whitelistclient'
/** Connection (or, per recipient, address) note: the HELO name is whitelisted. */
export const WHITELIST_HELO = 'whitelisthelo'

const HOSTS: IpListOptions = { fragments: true }
const ADDRESSES: AddressListOptions = { bare: 'host', reasons: false, patterns: false }

function heloSet(values: readonly string[]): Set<string> {
  return new Set(values.map((v) => v.split(/\s+/)[0]!.toLowerCase()).filter(Boolean))
}

export async function whitelistHooks(setup: PluginSetupContext, mode: WhitelistMode): Promise<PluginHooks> {
  const { config, args, log } = setup
  const hosts = await config.parsed('whitelisthosts', (l) => IpList.parse(l, HOSTS))
  const helos = await config.parsed('whitelisthelo', (l: readonly ConfigLine[]) =>
    heloSet(l.map((x) => x.value)),
  )
  const senders = await config.parsed('whitelistsenders', (l) => AddressList.parse(l, ADDRESSES))
  const rcpts = await config.parsed('whitelistrcpt', (l) => AddressList.parse(l, ADDRESSES))
  const override = mode === 'override'
  const answer = () => (override ? ok() : undefined)

  const markRecipient = (ctx: TransactionContext, rcpt: Address, why: string) => {
    rcpt.notes.set(NOTE.whitelistRcpt, true)
    const count = (ctx.transaction.notes.value<number>(NOTE.whitelistRcpt) ?? 0) + 1
    ctx.transaction.notes.set(NOTE.whitelistRcpt, count)
    ctx.log.result('pass', `recipient ${rcpt.address} ${why}`)
  }

  if (args.bool('per_recipient', false)) {
    const merge = args.bool('merge', true)
    const warn = (err: Error) => log.warn(`per-recipient whitelist: ${err.message}`)
    /**
     * The recipient's own values come from `user_config` hooks; `forAddress` falls back to the
     * global file, which is recognised by equal values. Without `merge`, a recipient that has
     * its own list uses only that.
     */
    const forRecipient = async (rcpt: Address, name: string) => {
      const values = await config.forAddress(rcpt, name)
      const global = (await config.lines(name)).map((l) => l.value)
      const own = !(values.length === global.length && values.every((v, i) => v === global[i]))
      return {
        values: own ? values : [],
        global: merge || !own,
        source: `(user_config ${rcpt.address}) ${name}`,
      }
    }
    return {
      async rcpt(ctx, rcpt) {
        const c = ctx.connection
        if (process.env.WHITELISTCLIENT !== undefined) c.notes.set(WHITELIST_CLIENT, 1)
        const h = await forRecipient(rcpt, 'whitelisthosts')
        if (
          (h.global && (await hosts.get()).has(c.remoteIp)) ||
          IpList.parseValues(h.values, h.source, HOSTS, warn).has(c.remoteIp)
        )
          rcpt.notes.set(NOTE.whitelistHost, 1)
        const helo = c.helloHost?.toLowerCase()
        const hl = await forRecipient(rcpt, 'whitelisthelo')
        if (helo && ((hl.global && (await helos.get()).has(helo)) || heloSet(hl.values).has(helo)))
          rcpt.notes.set(WHITELIST_HELO, 1)
        const sender = ctx.transaction.sender
        if (sender && !sender.isNull) {
          const s = await forRecipient(rcpt, 'whitelistsenders')
          if (
            (s.global && (await senders.get()).match(sender)) ||
            AddressList.parseValues(s.values, s.source, ADDRESSES, warn).match(sender)
          )
            rcpt.notes.set(NOTE.whitelistSender, 1)
        }
        const r = await forRecipient(rcpt, 'whitelistrcpt')
        if (
          (r.global && (await rcpts.get()).match(rcpt)) ||
          AddressList.parseValues(r.values, r.source, ADDRESSES, warn).match(rcpt)
        ) {
          markRecipient(ctx, rcpt, 'in whitelistrcpt')
          return answer()
        }
      },
    }
  }

  const checkHelo = async (ctx: SessionContext, host: string) => {
    if (!(await helos.get()).has(host.toLowerCase())) return undefined
    ctx.connection.notes.set(WHITELIST_HELO, 1)
    ctx.log.result('pass', `HELO ${host} in whitelisthelo`)
    return answer()
  }

  return {
    async connect(ctx) {
      if (process.env.WHITELISTCLIENT !== undefined) {
        ctx.connection.notes.set(WHITELIST_CLIENT, 1)
        ctx.log.result('pass', `${ctx.connection.remoteIp} whitelisted by $WHITELISTCLIENT`)
        return answer()
      }
      const hit = (await hosts.get()).match(ctx.connection.remoteIp)
      if (!hit) return
      ctx.connection.notes.set(NOTE.whitelistHost, 1)
      ctx.log.result(
        'pass',
        `host ${ctx.connection.remoteIp} in whitelisthosts (${hit.text}, ${hit.file}:${hit.line})`,
      )
      return answer()
    },
    helo: (ctx, host) => checkHelo(ctx, host),
    ehlo: (ctx, host) => checkHelo(ctx, host),
    async mail(ctx, sender) {
      if (sender.isNull) return
      const hit = (await senders.get()).match(sender)
      if (!hit) return
      ctx.transaction.notes.set(NOTE.whitelistSender, 1)
      ctx.log.result('pass', `sender ${sender.address} in whitelistsenders (${hit.file}:${hit.line})`)
      return answer()
    },
    async rcpt(ctx, rcpt) {
      const hit = (await rcpts.get()).match(rcpt)
      if (!hit) return
      markRecipient(ctx, rcpt, `in whitelistrcpt (${hit.file}:${hit.line})`)
      return answer()
    },
  }
}
