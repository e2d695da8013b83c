/**
 * `@postern/testing/vitest`: the helpers that define vitest suites when they are called, so
 * they import vitest at load. Kept out of the main entry, which must load from CommonJS and
 * without vitest installed.
 */
export { loadPluginForTest } from './per-test.js'
export { type StoreContractOptions, storeContract } from './store-contract.js'
