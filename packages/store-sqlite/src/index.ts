export { DEFAULT_BUSY_TIMEOUT, SqliteStore, type SqliteStoreOptions } from './sqlite-store.js'
