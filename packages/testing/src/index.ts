export { acceptRecipients } from './accept-recipients.js'
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
  type PluginHarness,
  type TestSession,
  testSession,
  writeConfigDir,
} from './harness.js'
export { type LoadInstalledOptions, loadInstalled } from './installed.js'
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
export { type StoreContractOptions, storeContract } from './store-contract.js'
