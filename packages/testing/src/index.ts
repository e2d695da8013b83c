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
export {
  type TestConnectionInit,
  type TestTransactionInit,
  testAddress,
  testConnection,
  testMessage,
  testTransaction,
} from './models.js'
export { type StoreContractOptions, storeContract } from './store-contract.js'
