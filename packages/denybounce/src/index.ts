/**
 * denybounce: a bounce (null sender `<>`) is accepted only for an address that has sent mail
 * through this server. Senders of mail that relay clients (or authenticated users) got queued
 * are recorded in the store, namespaced `denybounce:`, for `days` days; a bounce to anyone else
 * is backscatter from spam that forged the address, and is refused. Mail to postmaster is
 * always accepted (RFC 5321 §4.5.1).
 */
import { addressKey, immunity } from '@postern/address-lists'
import { definePlugin, OK } from '@postern/core'
import { peerDependencies } from '../package.json'

const DAY = 86_400_000

export default definePlugin({
  name: 'denybounce',
  core: peerDependencies['@postern/core'],
  description: 'Accepts bounces only for addresses that have sent mail through this server',
  setup({ args, store }) {
    const days = args.number('days', 30)
    if (!(days > 0)) throw new Error(`denybounce: days must be a positive number, not "${args.get('days')}"`)
    return {
      async rcpt(ctx, recipient) {
        const sender = ctx.transaction.sender
        if (!sender?.isNull) return
        if (recipient.user.toLowerCase() === 'postmaster') return ctx.log.result('skip', 'postmaster')
        const immune = immunity(ctx.connection, ctx.transaction, recipient)
        if (immune) return ctx.log.result('skip', immune)
        const key = addressKey(recipient)
        const sent = await store.get(key)
        if (sent !== undefined)
          return ctx.log.result('pass', `${key} sent mail ${new Date(Number(sent)).toISOString()}`)
        return ctx.reject(
          `${recipient.address} sends no mail, so it accepts no bounces`,
          '5.7.1',
          `bounce to ${key}, which has sent no mail`,
        )
      },
      async queue_post(ctx, result) {
        const c = ctx.connection
        const sender = ctx.transaction.sender
        if (result.code !== OK || !sender || sender.isNull || !(c.relayClient || c.auth)) return
        await store.set(addressKey(sender), String(Date.now()), { ttl: days * DAY })
        ctx.log.debug(`recorded ${sender.address} as a sender for ${days} days`)
      },
    }
  },
})
