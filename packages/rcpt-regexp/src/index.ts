/**
 * rcpt_regexp: the first line of config/rcpt_regexp that matches the recipient decides, with
 * any return code and a message: `pattern CODE comment`. A pattern between slashes is a Perl
 * regex; anything else is compared with the whole address. Matching ignores case.
 * Every line is checked at load: a bad regex, an unsafe one, a missing or unknown code, or DONE
 * (which would leave the client without a reply) is a ConfigError with file and line.
 */
import { addressKey, type CompiledPattern, compilePattern, splitSlashed } from '@postern/address-lists'
import {
  ConfigError,
  type ConfigLine,
  codeName,
  DECLINED,
  DONE,
  definePlugin,
  type EnhancedCode,
  isEnhancedCode,
  parseCode,
  type ReturnCode,
  type Verdict,
} from '@postern/core'
import { peerDependencies } from '../package.json'

type RcptCode = Exclude<ReturnCode, typeof DONE>

interface Rule {
  readonly literal?: string
  readonly pattern?: CompiledPattern
  readonly code: RcptCode
  readonly message: string | undefined
  readonly enhanced: EnhancedCode | undefined
  readonly file: string
  readonly line: number
}

function parseRules(lines: readonly ConfigLine[]): Rule[] {
  return lines.map((l) => {
    const [match, codeText, ...rest] = l.value.split(/\s+/)
    if (!codeText) throw new ConfigError(`${match}: no return code`, l.file, l.line)
    const code = parseCode(codeText)
    if (code === undefined) throw new ConfigError(`"${codeText}" is not a return code`, l.file, l.line)
    if (code === DONE)
      throw new ConfigError('DONE is not allowed: this plugin writes no reply of its own', l.file, l.line)
    // A comment may start with an enhanced status code: `DENY 5.1.1 No such user`.
    let comment = rest.join(' ')
    let enhanced: EnhancedCode | undefined
    const first = rest[0]
    if (first && isEnhancedCode(first)) {
      enhanced = first
      comment = rest.slice(1).join(' ')
    }
    const base = { code, message: comment || undefined, enhanced, file: l.file, line: l.line }
    return splitSlashed(match!)
      ? { ...base, pattern: compilePattern(match!, l) }
      : { ...base, literal: match!.toLowerCase() }
  })
}

export default definePlugin({
  name: 'rcpt_regexp',
  core: peerDependencies['@postern/core'],
  description: 'The first matching line of config/rcpt_regexp decides the recipient',
  async setup({ config }) {
    const rules = await config.parsed('rcpt_regexp', parseRules)
    return {
      async rcpt(ctx, recipient) {
        if (!recipient.host || !recipient.user) return
        const key = addressKey(recipient)
        const rule = (await rules.get()).find((r) =>
          r.pattern ? r.pattern.regex.test(key) : r.literal === key,
        )
        if (!rule) return
        ctx.log.info(
          `${key} matched ${rule.pattern?.source ?? rule.literal} (${rule.file}:${rule.line}): ${codeName(rule.code)}`,
        )
        if (rule.code === DECLINED) return
        const verdict: { code: RcptCode; message?: string; enhanced?: EnhancedCode } = { code: rule.code }
        if (rule.message !== undefined) verdict.message = rule.message
        if (rule.enhanced !== undefined) verdict.enhanced = rule.enhanced
        return verdict as Verdict<Exclude<RcptCode, typeof DECLINED>>
      },
    }
  },
})
