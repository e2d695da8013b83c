/**
 * check_content_type: every MIME part's type is looked up in `config/content_types`; the first
 * matching rule gives the part a return code. The message is refused when any part is refused
 * (the first such part's rule answers), accepted with OK when every part matched an OK rule,
 * and otherwise left to the next plugin. The message is read as a stream, part headers only;
 * the parts of attached messages (inline or not, up to `max_nesting` deep) are parts too.
 */
import { firstMatch, judgeMessage, parseRules, walkLimits } from '@postern/content-rules'
import { definePlugin, isDenial } from '@postern/core'
import { peerDependencies } from '../package.json'

export default definePlugin({
  name: 'check_content_type',
  core: peerDependencies['@postern/core'],
  description: "Checks every MIME part's content type against config/content_types",
  async setup({ args, config }) {
    const rules = await config.parsed('content_types', (lines) => parseRules(lines))
    const { maxParts, maxNesting } = walkLimits(args)
    const dryRun = args.get('reject') === '0'
    const skipImmune = args.bool('skip_immune', false)
    return {
      async data_post(ctx) {
        const body = ctx.transaction.body
        if (!body) return
        if (skipImmune && ctx.isImmune()) {
          ctx.log.result('skip', 'immune')
          return
        }
        const table = await rules.get()
        if (table.length === 0) return
        return judgeMessage(
          ctx,
          body.stream('message'),
          (part) => {
            const rule = firstMatch(table, part.contentType)
            // A container is judged only when a rule refuses it outright: its children are what
            // the recipient sees, and they are judged on their own.
            if (part.multipart && !(rule && isDenial(rule.code))) return []
            return [{ item: part.contentType, rule }]
          },
          {
            maxParts,
            maxNesting,
            dryRun,
            enhanced: '5.6.1',
            describe: (type) => type,
            defaultMessage: (type) => `Content type ${type} is not accepted here`,
          },
        )
      },
    }
  },
})
