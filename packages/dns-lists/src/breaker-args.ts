/**
 * The breaker's arguments, the same in every list plugin: `zone_failures 5 zone_cooldown 60`.
 * Either at 0 turns the breaker off (every lookup is asked, as before).
 */
import { type PluginArgs, parseDuration } from '@postern/core'

export const DEFAULT_ZONE_FAILURES = 5
export const DEFAULT_ZONE_COOLDOWN_MS = 60_000
/** Past this, the breaker would never open in practice; the cap bounds the names it remembers. */
const MAX_ZONE_FAILURES = 10_000

export interface ZoneBreakerArgs {
  readonly failures: number
  readonly cooldownMs: number
}

/** `zone_failures` (a whole number) and `zone_cooldown` (seconds, or `30s`, `2m`); bad values throw. */
export function parseZoneBreakerArgs(args: PluginArgs): ZoneBreakerArgs {
  const failuresText = args.get('zone_failures')?.trim()
  const failures = failuresText === undefined ? DEFAULT_ZONE_FAILURES : Number(failuresText)
  if (failuresText !== undefined && (!/^\d+$/.test(failuresText) || failures > MAX_ZONE_FAILURES))
    throw new Error(
      `zone_failures must be a whole number from 0 (off) to ${MAX_ZONE_FAILURES}, not ${JSON.stringify(failuresText)}`,
    )
  const cooldownText = args.get('zone_cooldown')
  const cooldownMs = cooldownText === undefined ? DEFAULT_ZONE_COOLDOWN_MS : parseDuration(cooldownText)
  if (cooldownMs === undefined)
    throw new Error(
      `zone_cooldown must be seconds (or 30s, 2m), 0 for off, not ${JSON.stringify(cooldownText)}`,
    )
  return { failures, cooldownMs }
}
