/**
 * check_norelay: clients listed in config/norelayclients may not relay, even when
 * relayclients (or $RELAYCLIENT) allowed them — e.g. a mail gateway inside a relaying network.
 *
 * Order: list it after check_relay (and after anything else that grants relaying at connect).
 * Its connect hook also runs in the `post` position, and it checks again at the start of MAIL
 * and RCPT (`pre`), so a plugin that answered OK at connect (whitelist) cannot skip it. A client
 * that authenticated (SMTP AUTH) keeps relaying: that is a stronger proof than its address.
 */
import { IpList } from '@postern/address-lists'
import { definePlugin, type SessionContext } from '@postern/core'
import { peerDependencies } from '../package.json'

/** Connection note: the client is in norelayclients. */
export const NOTE_NORELAY = 'norelayclient'

export default definePlugin({
  name: 'check_norelay',
  core: peerDependencies['@postern/core'],
  description: 'Takes relaying away from clients in config/norelayclients',
  async setup({ config }) {
    const norelay = await config.parsed('norelayclients', (lines) => IpList.parse(lines))
    const enforce = async (ctx: SessionContext, phase: string) => {
      const c = ctx.connection
      if (c.auth) return
      const hit = (await norelay.get()).match(c.remoteIp)
      if (!hit) return
      c.notes.set(NOTE_NORELAY, true)
      if (c.relayClient)
        ctx.log.result(
          'info',
          `${c.remoteIp} in norelayclients (${hit.file}:${hit.line}): relaying off at ${phase}`,
        )
      c.relayClient = false
    }
    return {
      connect: { order: 'post', handler: (ctx) => enforce(ctx, 'connect') },
      mail: { order: 'pre', handler: (ctx) => enforce(ctx, 'MAIL') },
      rcpt: { order: 'pre', handler: (ctx) => enforce(ctx, 'RCPT') },
    }
  },
})
