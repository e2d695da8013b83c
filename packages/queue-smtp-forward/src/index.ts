/**
 * queue/smtp-forward: relays each message to a smarthost, or per recipient domain to the relays
 * in `config/smtproutes`, and answers OK only after every next hop answered 250 to the final dot
 * (security reference A5: no OK before the mail is safe elsewhere). Refusals from the next hop at
 * MAIL, RCPT or DATA reach our client with the next hop's code, enhanced code and text.
 *
 * Recipients on different relays: one connection per relay, MAIL and RCPT on all of them first,
 * the message only when every relay accepted every recipient (so a refusal delivers nothing).
 * Results after the message are combined by `decide()`: any temporary failure → DENYSOFT (the
 * client retries; a relay that already took it may get a duplicate), else any permanent → DENY.
 */
import { definePlugin, denysoft, ok } from '@postern/core'
import {
  decide,
  deliver,
  type Endpoint,
  failureVerdict,
  formatReply,
  mailParamsFor,
  queueHook,
  type Route,
} from '@postern/smtp-client'
import { peerDependencies } from '../package.json'
import { credentialsFor, parseAuthFile } from './auth-file.js'
import { groupByRelay, unroutedOutcomes } from './group.js'
import { type ForwardOptions, readOptions } from './options.js'
import { parseRoutes } from './routes.js'

const HOP = 'smarthost'

function sessionFor(
  endpoint: Endpoint,
  options: ForwardOptions,
  creds: ReturnType<typeof credentialsFor>,
): Route['session'] {
  return {
    endpoint,
    helo: options.helo,
    tls: options.tls,
    tlsOptions: { rejectUnauthorized: options.tlsVerify, ...(options.tlsCa ? { ca: options.tlsCa } : {}) },
    ...(creds ? { auth: { ...creds, mechanism: options.authMechanism } } : {}),
    authWithoutTls: options.authWithoutTls,
    connectTimeout: options.connectTimeoutMs,
  }
}

export default definePlugin({
  name: 'queue/smtp-forward',
  aliases: ['queue_smtp_forward', 'smtp_forward', 'queue/smtp_forward'],
  core: peerDependencies['@postern/core'],
  description: "Relays to a smarthost or per-domain routes; OK only after the next hop's 250",
  async setup({ args, config }) {
    const options = await readOptions(args, config)
    const routes = await config.parsed('smtproutes', parseRoutes)
    const auth = await config.parsed('smtp_forward_auth', parseAuthFile)
    const first = await routes.get()
    if (!options.host && !first.fallback && first.byDomain.size === 0)
      throw new Error(
        'queue/smtp-forward needs a relay: queue/smtp-forward smarthost.example:25, or routes in config/smtproutes',
      )
    return {
      queue: queueHook(options.hookTimeoutMs, async (ctx, body, signal) => {
        const tx = ctx.transaction
        const table = await routes.get()
        const creds = await auth.get()
        const grouping = groupByRelay(tx.recipients, table, options.host)
        if (grouping.unrouted.length) {
          ctx.log.result('fail', `no route for ${grouping.unrouted.map((u) => u.format()).join(', ')}`)
          return failureVerdict(decide(unroutedOutcomes(grouping)))
        }
        const groups = grouping.groups
        if (!groups.size) return denysoft('No recipients to deliver to', '4.5.3')
        const sender = tx.sender?.format() ?? '<>'
        const headerBytes = tx.header ? Buffer.byteLength(tx.header.toString()) : body.headerSize
        const result = await deliver({
          routes: [...groups.values()].map((g) => ({
            session: sessionFor(g.endpoint, options, credentialsFor(creds, g.endpoint)),
            recipients: g.recipients,
          })),
          sender,
          mailParams: mailParamsFor(
            {
              size: body.size - body.headerSize + headerBytes,
              ...(tx.mailParams.has('body') ? { body: tx.mailParams.get('body')! } : {}),
              smtputf8: tx.mailParams.has('smtputf8'),
              addresses: [sender, ...grouping.all],
            },
            HOP,
          ),
          message: () => body.stream('message'),
          pipelining: options.pipelining,
          signal,
          hop: HOP,
        })
        for (const route of result.routes) {
          if (route.error) ctx.log.warn(`${route.endpoint}: ${route.error.message}`)
          const replies = new Set(route.outcomes.flatMap((o) => (o.reply ? [formatReply(o.reply)] : [])))
          for (const r of replies) ctx.log.info(`${route.endpoint}: ${r}`)
        }
        const decision = decide(result.outcomes)
        if (decision.result === 'ok') {
          const where = result.routes.map((r) => r.endpoint).join(', ')
          ctx.log.result('pass', `forwarded to ${where}`)
          const reply = result.routes.length === 1 ? result.outcomes[0]?.reply : undefined
          return ok(
            reply?.lines[0]
              ? `Forwarded: ${reply.lines[0]}`
              : `Forwarded to ${result.routes.length} next hops`,
            '2.0.0',
          )
        }
        ctx.log.result(
          'fail',
          `${decision.result} ${decision.code} ${decision.enhanced} ${decision.lines[0] ?? ''}`,
        )
        return failureVerdict(decision)
      }),
    }
  },
})
