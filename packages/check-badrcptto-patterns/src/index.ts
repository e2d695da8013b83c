/**
 * check_badrcptto_patterns: recipients matching a pattern in config/badrcptto_patterns
 * (`pattern response` lines; every pattern is a Perl regex, unanchored) are refused with that
 * line's response. Meant for the percent hack, bang paths and double ats.
 */

import { addressKey, type CompiledPattern, compilePattern, immunity } from '@postern/address-lists'
import { type ConfigLine, definePlugin } from '@postern/core'
import { peerDependencies } from '../package.json'

interface Rule {
  readonly pattern: CompiledPattern
  readonly response: string | undefined
  readonly file: string
  readonly line: number
}

function parseRules(lines: readonly ConfigLine[]): Rule[] {
  return lines.map((l) => {
    const [text, ...rest] = l.value.split(/\s+/)
    return {
      pattern: compilePattern(text!, l),
      response: rest.join(' ') || undefined,
      file: l.file,
      line: l.line,
    }
  })
}

export default definePlugin({
  name: 'check_badrcptto_patterns',
  core: peerDependencies['@postern/core'],
  description: 'Refuses recipients matching config/badrcptto_patterns',
  async setup({ config }) {
    const rules = await config.parsed('badrcptto_patterns', parseRules)
    return {
      async rcpt(ctx, recipient) {
        if (!recipient.host) return ctx.log.result('skip', 'no host in recipient')
        const immune = immunity(ctx.connection, ctx.transaction, recipient)
        if (immune) return ctx.log.result('skip', immune)
        const key = addressKey(recipient)
        const hit = (await rules.get()).find((r) => r.pattern.regex.test(key))
        if (!hit) return ctx.log.result('pass')
        return ctx.reject(
          hit.response ?? `Mail to ${recipient.address} not accepted here`,
          '5.1.1',
          `${recipient.address} matches ${hit.pattern.source} (${hit.file}:${hit.line})`,
        )
      },
    }
  },
})
