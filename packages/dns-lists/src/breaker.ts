/**
 * A circuit breaker per zone. The resolver caches a failure per *name*, but a list plugin asks a
 * new name for every client (IP) or sender (domain), so a list that has stopped answering (shut
 * down, or blocking the site's resolver) would cost every client a full DNS timeout. After
 * `failures` failed lookups in a row (SERVFAIL, timeout, refused; NXDOMAIN is an answer) the
 * zone is skipped for `cooldownMs`; then one lookup goes through as a probe: an answer puts the
 * zone back in use, a failure skips it for another cool-down. State lives in memory, per plugin
 * instance and process.
 */
import { formatDuration, type Logger } from '@postern/core'

/** The error code of a lookup the breaker skipped: the plugin treats it as a failed lookup. */
export const ZONE_SKIPPED = 'ESKIPPED'

export interface ZoneBreakerOptions {
  /** Failed lookups in a row that make a zone skipped; 0: never skip. */
  readonly failures: number
  /** How long a zone is skipped before one lookup probes it, in ms; 0: never skip. */
  readonly cooldownMs: number
  /**
   * Where the changes are logged, once each (the plugin's own logger, not a session's): skipping
   * and back in use at WARN, a failed probe (once per cool-down) at INFO.
   */
  readonly log: Logger
  /** The clock, in ms (default `performance.now`); tests pass a fake one. */
  readonly now?: () => number
}

/** What a lookup returns: `status: 'error'` (with its `code`) is a failure, anything else an answer. */
export interface ZoneLookupResult {
  readonly status: string
}

export interface ZoneBreakers {
  /**
   * Runs `lookup` (asking `name` in `zone`) unless the zone is being skipped; undefined when it
   * is. The result counts for the zone's breaker.
   */
  ask<T extends ZoneLookupResult>(
    zone: string,
    name: string,
    lookup: () => Promise<T>,
  ): Promise<T | undefined>
}

interface ZoneState {
  /** Bumped on every change of state: a lookup that began before it is old news and ignored. */
  epoch: number
  /** While skipped: when the next probe may go. undefined: the zone is in use. */
  openUntil: number | undefined
  /**
   * Names that failed since the zone last answered. Distinct names: the resolver answers a
   * repeated name from its failure cache, and one client reconnecting is no news about the zone.
   */
  readonly failed: Set<string>
}

const NEVER_SKIP: ZoneBreakers = { ask: (_zone, _name, lookup) => lookup() }

export function createZoneBreakers(options: ZoneBreakerOptions): ZoneBreakers {
  const { failures, cooldownMs, log } = options
  if (failures <= 0 || cooldownMs <= 0) return NEVER_SKIP
  const now = options.now ?? (() => performance.now())
  const cooldown = formatDuration(cooldownMs)
  // Keyed by zone names from the config, not by client input.
  const zones = new Map<string, ZoneState>()

  function stateOf(zone: string): ZoneState {
    let state = zones.get(zone)
    if (!state) {
      state = { epoch: 0, openUntil: undefined, failed: new Set() }
      zones.set(zone, state)
    }
    return state
  }

  function skip(state: ZoneState): void {
    state.openUntil = now() + cooldownMs
    state.failed.clear()
    state.epoch++
  }

  /** `code`: the failure's code, undefined for an answer. */
  function settle(
    zone: string,
    state: ZoneState,
    epoch: number,
    name: string,
    code: string | undefined,
  ): void {
    if (state.epoch !== epoch) return
    const probing = state.openUntil !== undefined
    if (code === undefined) {
      state.failed.clear()
      if (!probing) return
      state.openUntil = undefined
      state.epoch++
      log.warn(`${zone} answers again: back in use`)
    } else if (probing) {
      skip(state)
      log.info(`${zone} still does not answer (${code}): skipped for another ${cooldown}`)
    } else {
      state.failed.add(name)
      if (state.failed.size < failures) return
      skip(state)
      log.warn(
        `${zone}: ${failures} lookups in a row failed (last: ${code}): skipped for ${cooldown} (zone_cooldown), then probed`,
      )
    }
  }

  function ask<T extends ZoneLookupResult>(
    zone: string,
    name: string,
    lookup: () => Promise<T>,
  ): Promise<T | undefined> {
    const state = stateOf(zone)
    if (state.openUntil !== undefined) {
      if (now() < state.openUntil) return Promise.resolve(undefined)
      // The cool-down is over: this lookup is the probe. The others stay skipped until it
      // settles, or for one more cool-down should it never settle.
      state.openUntil = now() + cooldownMs
      state.epoch++
    }
    const epoch = state.epoch
    let pending: Promise<T>
    try {
      pending = lookup()
    } catch (err) {
      pending = Promise.reject(err)
    }
    return pending.then(
      (result) => {
        settle(zone, state, epoch, name, failureCode(result))
        return result
      },
      (err: unknown) => {
        settle(zone, state, epoch, name, err instanceof Error ? err.message : String(err))
        throw err
      },
    )
  }

  return { ask }
}

function failureCode(result: ZoneLookupResult): string | undefined {
  if (result.status !== 'error') return undefined
  return 'code' in result && typeof result.code === 'string' ? result.code : 'error'
}
