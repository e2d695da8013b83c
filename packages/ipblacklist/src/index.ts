export { StoreTimeoutError, withDeadline } from './deadline.js'
export { formatDuration, parseDuration } from './duration.js'
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
