/**
 * nodialup: refuses clients whose reverse DNS name looks like a dynamic, dial-up or residential
 * address (patterns file, plus names that spell out the IP), and clients with no reverse DNS at
 * all. Real mail servers have a stable, deliberate name; bots on home lines do not. The PTR lookup
 * starts at connect and is read at RCPT, so postmaster and whitelisted clients still get through.
 */
import { isIP } from 'node:net'
import {
  type Connection,
  DENYSOFT,
  definePlugin,
  dsn,
  immunity,
  isSpecialRecipient,
  parseRejectMode,
  plainIp,
  type SessionContext,
} from '@postern/core'
import { parseDnsErrorPolicy } from '@postern/dns-lists'
import { peerDependencies } from '../package.json'
import { embedsIp } from './embedded-ip.js'
import { parseExceptions } from './exceptions.js'
import { defaultPatterns, type Pattern, parsePatterns } from './patterns.js'
import { type Rdns, reverseLookup } from './rdns.js'

/** Connection note: why the client looks dynamic (set when it does). */
export const NODIALUP_NOTE = 'nodialup'

export { embedsIp } from './embedded-ip.js'
export { parseExceptions } from './exceptions.js'
export { compilePattern, DEFAULT_PATTERNS, parsePatterns } from './patterns.js'

type Finding =
  | { readonly kind: 'pass'; readonly detail: string }
  | { readonly kind: 'dynamic'; readonly name: string; readonly why: string }
  | { readonly kind: 'no-rdns'; readonly detail: string }
  | { readonly kind: 'error'; readonly detail: string }

export default definePlugin({
  name: 'nodialup',
  core: peerDependencies['@postern/core'],
  description: 'Refuses clients whose reverse DNS looks dynamic or is missing',
  async setup({ config, args, dns }) {
    // Without the file the built-in patterns apply; parsed again only when the file changes.
    const builtIn = defaultPatterns()
    const filePatterns = await config.parsed('nodialup_patterns', (lines): readonly Pattern[] =>
      lines.length || config.raw('nodialup_patterns') !== undefined ? parsePatterns(lines) : builtIn,
    )
    const patterns = () => filePatterns.get()
    const exceptions = await config.parsed('nodialup_exceptions', parseExceptions)
    const mode = parseRejectMode(args)
    const onDnsError = parseDnsErrorPolicy(args.get('dns_error'), 'pass')
    const refuseNoRdns = args.bool('reject_no_rdns', true)
    const checkEmbeddedIp = args.bool('embedded_ip', true)
    const checks = new WeakMap<Connection, Promise<Finding | undefined>>()

    async function classify(ip: string, rdns: Rdns): Promise<Finding> {
      if (rdns.status === 'error')
        return { kind: 'error', detail: `PTR lookup for ${ip} failed (${rdns.code})` }
      if (rdns.status === 'none')
        return { kind: 'no-rdns', detail: `${ip} has no reverse DNS (${rdns.code})` }
      const ex = await exceptions.get()
      const excepted = rdns.names.find((n) => ex.hasName(n))
      if (excepted) return { kind: 'pass', detail: `${excepted} is in nodialup_exceptions` }
      const list = await patterns()
      // Several PTR names: the client is dynamic only if every one of them looks it.
      let first: { name: string; why: string } | undefined
      for (const name of rdns.names) {
        const hit = list.find((p) => p.regex.test(name))
        const why = hit
          ? `matches ${hit.source}`
          : checkEmbeddedIp && embedsIp(name, ip)
            ? 'spells out the IP'
            : ''
        if (!why) return { kind: 'pass', detail: `${name} looks static` }
        first ??= { name, why }
      }
      return { kind: 'dynamic', name: first!.name, why: first!.why }
    }

    async function run(connection: Connection): Promise<Finding | undefined> {
      const ip = plainIp(connection.remoteIp)
      if (!isIP(ip)) return undefined
      if ((await exceptions.get()).hasIp(ip))
        return { kind: 'pass', detail: `${ip} is in nodialup_exceptions` }
      return classify(ip, await reverseLookup(dns, ip))
    }

    function check(ctx: SessionContext): Promise<Finding | undefined> {
      let pending = checks.get(ctx.connection)
      if (!pending) {
        const log = ctx.log
        pending = run(ctx.connection).catch((err: unknown): Finding => {
          log.error(`check failed: ${(err as Error).message}`)
          return { kind: 'error', detail: (err as Error).message }
        })
        checks.set(ctx.connection, pending)
      }
      return pending
    }

    return {
      connect(ctx) {
        if (ctx.isImmune()) return
        void check(ctx) // started now, read at RCPT
      },
      async rcpt(ctx, recipient) {
        const immune = immunity(ctx.connection, ctx.transaction, recipient)
        if (immune) {
          ctx.log.result('skip', `immune (${immune})`)
          return
        }
        const v = await check(ctx)
        if (!v) return
        if (v.kind === 'pass') {
          ctx.log.result('pass', v.detail)
          return
        }
        if (v.kind === 'no-rdns' && !refuseNoRdns) {
          ctx.log.result('pass', `${v.detail} (reject_no_rdns 0)`)
          return
        }
        if (isSpecialRecipient(recipient)) {
          ctx.log.result('skip', `${recipient.user} is always reachable`)
          return
        }
        const ip = plainIp(ctx.connection.remoteIp)
        if (v.kind === 'dynamic') {
          const why = `${v.name} looks dynamic: ${v.why}`
          ctx.connection.notes.set(NODIALUP_NOTE, why)
          return ctx.reject(
            `Dynamic or residential address (${v.name}): send through your provider's mail server`,
            '5.7.1',
            why,
          )
        }
        if (v.kind === 'no-rdns') {
          ctx.connection.notes.set(NODIALUP_NOTE, v.detail)
          return ctx.reject(`No reverse DNS for ${ip}: mail servers need one`, '5.7.1', v.detail)
        }
        // DNS trouble: we cannot tell, so follow dns_error.
        if (onDnsError === 'pass') {
          ctx.log.result('error', `${v.detail}; passing (dns_error pass)`)
          return
        }
        const verdict = dsn.tempResolverFailed(`Cannot resolve ${ip} right now, try again later`)
        if (mode === 'off') ctx.log.result('fail, tolerated', v.detail)
        else if (mode === 'naughty') ctx.deferReject(String(verdict.message), DENYSOFT, verdict.enhanced)
        else {
          ctx.log.result('fail', v.detail)
          return verdict
        }
      },
    }
  },
})
