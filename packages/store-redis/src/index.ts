export { escapeGlob } from './glob.js'
export { RedisStore, type RedisStoreOptions } from './redis-store.js'
