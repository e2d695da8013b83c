/**
 * `defineContentFilter`: writes the data_post hook of a content filter that decides per
 * recipient. The filter returns one verdict per recipient; they are recorded for cf_wrapper,
 * which gives the client one answer for all of them. The filter's hook itself stays DECLINED
 * so every filter runs before cf_wrapper decides.
 */
import {
  type Address,
  definePlugin,
  type PluginDefinition,
  type PluginSetupContext,
  type TransactionContext,
} from '@postern/core'
import { type RecipientVerdict, setRecipientVerdict } from './verdicts.js'

type Awaitable<T> = T | Promise<T>

export type RecipientVerdicts =
  | ReadonlyMap<Address, RecipientVerdict | undefined>
  | readonly (RecipientVerdict | undefined)[]

export interface ContentFilter {
  /** Scans the message (ctx.transaction.body) for these recipients: a verdict per recipient, by Address or by position. */
  scan(ctx: TransactionContext, recipients: readonly Address[]): Awaitable<RecipientVerdicts>
}

export interface ContentFilterDefinition {
  readonly name: string
  readonly core: string
  readonly aliases?: readonly string[]
  readonly description?: string
  setup(ctx: PluginSetupContext): Awaitable<ContentFilter>
}

export function defineContentFilter(def: ContentFilterDefinition): PluginDefinition {
  return definePlugin({
    name: def.name,
    core: def.core,
    ...(def.aliases ? { aliases: def.aliases } : {}),
    ...(def.description ? { description: def.description } : {}),
    async setup(ctx) {
      const filter = await def.setup(ctx)
      return {
        async data_post(hookCtx) {
          const recipients = hookCtx.transaction.recipients
          if (!hookCtx.transaction.body || recipients.length === 0) return
          const verdicts = await filter.scan(hookCtx, recipients)
          recipients.forEach((r, i) => {
            const v =
              verdicts instanceof Map
                ? verdicts.get(r)
                : (verdicts as readonly (RecipientVerdict | undefined)[])[i]
            setRecipientVerdict(r, hookCtx.plugin.instance, v)
          })
        },
      }
    },
  })
}
