/**
 * check_basicheaders (qpsmtpd's `headers`): a message must have a From and a Date header, may
 * carry each RFC 5322 singular header once, and optionally its Date must lie within N days.
 * An empty message is refused whoever sent it; the other checks skip immune clients (relay
 * clients and whitelisted senders), whose own software is trusted to write sane headers.
 */
import { definePlugin, deny } from '@postern/core'
import { peerDependencies } from '../package.json'
import { parseHeaderArgs } from './args.js'

const DAY_MS = 24 * 3600 * 1000

export default definePlugin({
  name: 'check_basicheaders',
  aliases: ['headers'],
  core: peerDependencies['@postern/core'],
  description: 'Requires From and Date headers; optional Date range check',
  setup({ args }) {
    const opts = parseHeaderArgs(args)
    return {
      data_post(ctx) {
        const tx = ctx.transaction
        if (!tx.body || tx.body.size === 0) {
          ctx.log.result('fail', 'empty message')
          return deny('You must send some data first', '5.6.0')
        }
        const header = tx.header
        if (!header || header.fields.length === 0) {
          return ctx.reject('Headers are missing', '5.6.0', 'no header')
        }
        if (ctx.isImmune()) {
          ctx.log.result('skip', 'immune')
          return
        }
        for (const name of opts.required) {
          // A header present but empty is as good as missing: it names no author or date.
          if (!header.get(name))
            return ctx.reject(`We require a valid ${name} header`, '5.6.0', `no ${name} header`)
        }
        for (const name of opts.singular) {
          if (header.count(name) > 1)
            return ctx.reject(
              `Only one ${name} header allowed. See RFC 5322, Section 3.6`,
              '5.6.0',
              `too many ${name} headers`,
            )
        }
        if (opts.pastDays !== undefined || opts.futureDays !== undefined) {
          const date = header.get('Date')
          if (date) {
            const when = Date.parse(date)
            const now = Date.now()
            if (Number.isNaN(when))
              return ctx.reject('The Date header is not a valid date', '5.6.0', 'invalid Date')
            if (opts.pastDays !== undefined && when < now - opts.pastDays * DAY_MS)
              return ctx.reject(
                'The Date header is too far in the past',
                '5.6.0',
                `Date in the past: ${date}`,
              )
            if (opts.futureDays !== undefined && when > now + opts.futureDays * DAY_MS)
              return ctx.reject(
                'The Date header is too far in the future',
                '5.6.0',
                `Date in the future: ${date}`,
              )
          }
        }
        ctx.log.result('pass')
      },
    }
  },
})
