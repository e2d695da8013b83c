export { isListAnswer, isListing, type ListAnswer, listText, queryList } from './answer.js'
export {
  createZoneBreakers,
  ZONE_SKIPPED,
  type ZoneBreakerOptions,
  type ZoneBreakers,
  type ZoneLookupResult,
} from './breaker.js'
export {
  DEFAULT_ZONE_COOLDOWN_MS,
  DEFAULT_ZONE_FAILURES,
  parseZoneBreakerArgs,
  type ZoneBreakerArgs,
} from './breaker-args.js'
export { isCodeFilter, parseCodeFilter, parseZoneName } from './filter.js'
export { type DnsErrorPolicy, parseDnsErrorPolicy, replySafe } from './policy.js'
