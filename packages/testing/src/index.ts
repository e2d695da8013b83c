// The main entry loads from ESM and CommonJS without vitest: nothing here imports it at load.
// The helpers that define vitest suites are in `@postern/testing/vitest`.
export { acceptRecipients } from './accept-recipients.js'
export {
  DEFAULT_MESSAGE,
  DEFAULT_RECIPIENT,
  DEFAULT_SENDER,
  type EnvelopeCallOptions,
  type HookCallers,
  type HookCallOptions,
  type TransactionCallOptions,
} from './callers.js'
export {
  type EngineOptions,
  openSession,
  startServer,
  type TestServer,
  type TestSmtpSession,
} from './engine.js'
export {
  type ConfigFiles,
  type LoadPluginOptions,
  loadPlugin,
  type PluginEntry,
  type PluginHarness,
  writeConfigDir,
} from './harness.js'
export { type LoadInstalledOptions, loadInstalled } from './installed.js'
export {
  type MockArgs,
  type MockCall,
  type MockHook,
  type MockHooks,
  type MockPlugin,
  type MockVerdict,
  mockPlugin,
} from './mock-plugin.js'
export {
  type TestConnectionInit,
  type TestTransactionInit,
  testAddress,
  testConnection,
  testMessage,
  testTransaction,
} from './models.js'
export { loadPluginForTest } from './per-test.js'
export { type QueueRun, type RunQueueOptions, runQueue } from './queue.js'
export { type TestSession, testSession } from './test-session.js'
