/**
 * charset: allows or denies messages by the charsets of their text parts. Each text/* part's
 * charset (us-ascii when none is given, RFC 2045 §5.2) is looked up in `config/charsets`; the
 * first matching rule gives it a return code; a charset no rule matches gets the `default`
 * argument's code. A refused charset refuses the message; OK needs every charset accepted.
 * With `headers 1` the charsets of encoded words in headers (`=?koi8-r?B?…?=`) count too.
 * The text parts of attached messages (inline or not, up to `max_nesting` deep) count as well.
 */
import {
  firstMatch,
  type Judged,
  judgeMessage,
  type MimePart,
  parseRules,
  type Rule,
  walkLimits,
} from '@postern/content-rules'
import { DECLINED, DONE, definePlugin, parseCode, type ReturnCode } from '@postern/core'
import { peerDependencies } from '../package.json'
import { encodedWordCharsets } from './encoded-words.js'

export { encodedWordCharsets } from './encoded-words.js'

/** Header fields whose encoded words are read with `headers 1`. */
const TEXT_HEADERS = ['subject', 'from', 'to', 'cc', 'reply-to', 'sender', 'comments', 'keywords']

interface Found {
  readonly charset: string
  readonly where: string
}

function defaultRule(args: { get(key: string): string | undefined }): Rule | undefined {
  const text = args.get('default')
  if (text === undefined) return undefined
  const code: ReturnCode | undefined = parseCode(text)
  if (code === undefined || code === DONE)
    throw new Error(`default must be a return code such as DENY or OK, not ${text}`)
  if (code === DECLINED) return undefined
  return { pattern: '*', code, message: undefined, file: '(argument default)', line: 0, test: () => true }
}

export default definePlugin({
  name: 'charset',
  core: peerDependencies['@postern/core'],
  description: 'Allows or denies the charsets of text parts',
  async setup({ args, config }) {
    const rules = await config.parsed('charsets', (lines) => parseRules(lines))
    const fallback = defaultRule(args)
    const withHeaders = args.bool('headers', false)
    const { maxParts, maxNesting } = walkLimits(args)
    const dryRun = args.get('reject') === '0'

    function found(part: MimePart): Found[] {
      const out: Found[] = []
      if (!part.multipart && part.contentType.startsWith('text/'))
        out.push({ charset: part.charset ?? 'us-ascii', where: part.contentType })
      if (withHeaders) {
        for (const name of TEXT_HEADERS)
          for (const value of part.headerValues(name))
            for (const charset of encodedWordCharsets(value)) out.push({ charset, where: `${name} header` })
      }
      return out
    }

    return {
      async data_post(ctx) {
        const body = ctx.transaction.body
        if (!body) return
        const table = await rules.get()
        if (table.length === 0 && !fallback) return
        return judgeMessage(
          ctx,
          body.stream('message'),
          (part): Judged<Found>[] =>
            found(part).map((item) => ({ item, rule: firstMatch(table, item.charset) ?? fallback })),
          {
            maxParts,
            maxNesting,
            dryRun,
            enhanced: '5.6.1',
            describe: (f) => `charset ${f.charset} in ${f.where}`,
            defaultMessage: (f) => `Charset ${f.charset} is not accepted here`,
          },
        )
      },
    }
  },
})
