/**
 * check_badrcptto: recipients listed in config/badrcptto (an address, `@host`, or a pattern, with
 * an optional reason) are refused, as qpsmtpd 1.0's badrcptto (which merged the patterns in).
 */

import { AddressList, immunity } from '@postern/address-lists'
import { definePlugin } from '@postern/core'
import { peerDependencies } from '../package.json'

export default definePlugin({
  name: 'check_badrcptto',
  aliases: ['badrcptto'],
  core: peerDependencies['@postern/core'],
  description: 'Refuses recipients listed in config/badrcptto',
  async setup({ config, log }) {
    const list = await config.parsed('badrcptto', (lines) =>
      AddressList.parse(lines, { warn: (message) => log.warn(message) }),
    )
    return {
      async rcpt(ctx, recipient) {
        if (!recipient.host) return ctx.log.result('skip', 'no host in recipient')
        const immune = immunity(ctx.connection, ctx.transaction, recipient)
        if (immune) return ctx.log.result('skip', immune)
        const hit = (await list.get()).match(recipient)
        if (!hit) return ctx.log.result('pass')
        return ctx.reject(
          hit.reason ?? `Mail to ${recipient.address} not accepted here`,
          '5.1.1',
          `${recipient.address} matches ${hit.text} (${hit.file}:${hit.line})`,
        )
      },
    }
  },
})
