/**
 * The `max_parts` and `max_nesting` arguments every content plugin takes, checked at load so a
 * typo refuses the plugin instead of disabling a limit.
 */
import type { PluginArgs } from '@postern/core'

export interface WalkLimits {
  readonly maxParts: number
  readonly maxNesting: number
}

export function walkLimits(args: PluginArgs): WalkLimits {
  const maxParts = args.number('max_parts', 1000)
  if (!Number.isInteger(maxParts) || maxParts < 1)
    throw new Error(`max_parts must be a positive integer, not ${args.get('max_parts')}`)
  const maxNesting = args.number('max_nesting', 10)
  if (!Number.isInteger(maxNesting) || maxNesting < 0)
    throw new Error(`max_nesting must be a whole number, not ${args.get('max_nesting')}`)
  return { maxParts, maxNesting }
}
