export {
  type BucketConfig,
  type BucketState,
  formatState,
  parseState,
  type TakeResult,
  take,
} from './bucket.js'
export { type EventMatcher, parseEvents } from './events.js'
export { BUCKET_NOTE, default } from './plugin.js'
