export { type OpenStoreOptions, openStore, StoreSpecError } from './open-store.js'
export { parseIpLine, runStoreCommand, STORE_USAGE, type StoreCommandIo } from './store-command.js'
