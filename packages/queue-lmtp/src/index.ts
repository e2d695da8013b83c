/**
 * queue/lmtp: delivers each message over LMTP (RFC 2033), e.g. to Dovecot, and answers OK only
 * when the LMTP server accepted it for every recipient. LMTP replies once per recipient after
 * the message; SMTP has one reply, so mixed results follow the rule in @postern/smtp-client's
 * `decide()`: any temporary failure → DENYSOFT (the client retries; duplicates are possible,
 * loss is not), else any permanent failure → DENY, naming each recipient's result.
 * A recipient refused at RCPT stops the delivery before DATA: nothing is delivered.
 */
import { definePlugin, denysoft, ok } from '@postern/core'
import {
  decide,
  deliver,
  describeEndpoint,
  failureVerdict,
  formatReply,
  mailParamsFor,
  queueHook,
} from '@postern/smtp-client'
import { peerDependencies } from '../package.json'
import { readOptions } from './options.js'

export default definePlugin({
  name: 'queue/lmtp',
  aliases: ['queue_lmtp'],
  core: peerDependencies['@postern/core'],
  description: 'Delivers over LMTP; OK only when every recipient was delivered',
  async setup({ args, config }) {
    const options = await readOptions(args, config)
    const where = describeEndpoint(options.endpoint)
    return {
      queue: queueHook(options.hookTimeoutMs, async (ctx, body, signal) => {
        const tx = ctx.transaction
        // One RCPT per distinct address: LMTP would otherwise deliver twice.
        const recipients = [...new Set(tx.recipients.map((r) => r.format()))]
        if (!recipients.length) return denysoft('No recipients to deliver to', '4.5.3')
        const sender = tx.sender?.format() ?? '<>'
        const headerBytes = tx.header ? Buffer.byteLength(tx.header.toString()) : body.headerSize
        const result = await deliver({
          routes: [
            {
              session: {
                endpoint: options.endpoint,
                lmtp: true,
                helo: options.lhlo,
                tls: 'off',
                connectTimeout: options.connectTimeoutMs,
              },
              recipients,
            },
          ],
          sender,
          mailParams: mailParamsFor(
            {
              size: body.size - body.headerSize + headerBytes,
              ...(tx.mailParams.has('body') ? { body: tx.mailParams.get('body')! } : {}),
              smtputf8: tx.mailParams.has('smtputf8'),
              addresses: [sender, ...recipients],
            },
            'LMTP server',
          ),
          message: () => body.stream('message'),
          pipelining: options.pipelining,
          signal,
          hop: 'LMTP server',
        })
        for (const route of result.routes) {
          if (route.error) ctx.log.warn(`LMTP ${where}: ${route.error.message}`)
          for (const o of route.outcomes)
            if (o.reply) ctx.log.info(`LMTP ${where} ${o.recipient}: ${o.status} (${formatReply(o.reply)})`)
        }
        const decision = decide(result.outcomes)
        if (decision.result === 'ok') {
          ctx.log.result('pass', `delivered to ${recipients.length} recipient(s) by LMTP ${where}`)
          return ok(
            `Delivered to ${recipients.length} recipient${recipients.length === 1 ? '' : 's'}`,
            '2.0.0',
          )
        }
        ctx.log.result(
          'fail',
          `LMTP ${where}: ${decision.result} ${decision.code} ${decision.enhanced} ${decision.lines[0] ?? ''}`,
        )
        return failureVerdict(decision)
      }),
    }
  },
})
