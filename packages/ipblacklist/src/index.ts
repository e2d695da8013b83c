// These helpers moved to @postern/core; re-exported so existing imports keep working.
export {
  /** @deprecated Use DeadlineError from @postern/core. */
  DeadlineError as StoreTimeoutError,
  /** @deprecated Use formatDuration from @postern/core. */
  formatDuration,
  /** @deprecated Use parseDuration from @postern/core. */
  parseDuration,
  /** @deprecated Use withDeadline from @postern/core. */
  withDeadline,
} from '@postern/core'
export {
  addToBlacklist,
  BLACKLIST_NAMESPACE,
  type BlacklistEntry,
  formatEntry,
  type ListOptions,
  parseEntry,
} from './entry.js'
export { normalizeIp } from './ip.js'
export { default, IGNORE_NOTE, LISTED_NOTE } from './plugin.js'
