// Return codes and verdicts

// Models
export {
  Address,
  AddressError,
  type AddressParseOptions,
  isValidAddressLiteral,
  isValidDomain,
} from './address.js'
export * from './codes.js'
// Config
export { ConfigDir, type ConfigDirOptions, ConfigError, type ConfigLine } from './config-dir.js'
export { type AuthInfo, Connection, type ConnectionInit, type HelloType, type TlsInfo } from './connection.js'
export type {
  GlobalContext,
  PluginInstanceInfo,
  SessionContext,
  SessionHost,
  TransactionContext,
} from './context.js'
// Conventions
export {
  appendAuthResult,
  deferReject,
  deferredReject,
  isSpecialRecipient,
  NOTE,
  parseRejectMode,
  parseRejectType,
  type RejectMode,
  refusal,
  removeAuthResults,
} from './conventions.js'
// Plugins
export { verifyCredentials } from './credentials.js'
export {
  DECLINED_RESULT,
  HookDispatcher,
  type HookResult,
  HookTimeoutError,
  type RegisteredPlugin,
} from './dispatcher.js'
export {
  createDnsResolver,
  DnsError,
  type DnsRecordType,
  type DnsResolver,
  type DnsResolverOptions,
  expandIpv6,
  lookupDomain,
  type MxRecord,
  parseDnsServers,
  reverseIp,
} from './dns.js'
export { type DsnHelperName, dsn, REFUSAL_CODES, type RefusalCode } from './dsn.js'
export { formatDuration, parseDuration } from './duration.js'
export { clamdInstream, dotStuff } from './framing.js'
export { Header, type HeaderField, unfold } from './header.js'
// Hooks
export type * from './hook-types.js'
export { HOOK_NAMES, HOOKS, isHookName } from './hooks.js'
export {
  createPluginHost,
  defaultSearchDirs,
  inspectPlugins,
  type LoadedPluginInfo,
  type PluginHost,
  type PluginHostOptions,
} from './host.js'
export { type ImmunityReason, immunity, isImmune, recipientImmunity } from './immune.js'
export {
  type IpFamily,
  IpList,
  type IpListFromLinesOptions,
  type IpNetwork,
  ipFamily,
  ipListFromLines,
  parseIpNetwork,
  plainIp,
} from './ip-list.js'
export {
  type CompatibilityReport,
  checkCoreRange,
  checkDependencies,
  checkPlugins,
  PluginLoadError,
  type ResolvedPlugin,
  resolvePlugins,
} from './loader.js'
// Services
export {
  createLogger,
  type LevelAdjust,
  LOG,
  type LogBindings,
  type LogEntry,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogLevelName,
  type LogResult,
  type LogSink,
  levelName,
  parseLevel,
  parseLevelAdjust,
  type RootLogger,
  stderrSink,
} from './logger.js'
export type { MessageBody } from './message.js'
export { Notes } from './notes.js'
export { definePlugin, isPluginDefinition, type PluginDefinition, type PluginSetupContext } from './plugin.js'
export { PluginArgs } from './plugin-args.js'
export { ConfigService, type ParsedConfig, type PluginConfig } from './plugin-config.js'
export { type PluginLine, parsePluginLines } from './plugins-file.js'
export { candidatePackages, kebabName, type ResolvedModule, resolvePluginModule } from './resolve.js'
export {
  MemoryStore,
  type MemoryStoreOptions,
  prefixedStore,
  type Store,
  type StoreEntry,
  type StoreSetOptions,
} from './store.js'
export {
  DeadlineError,
  type DeadlineSignal,
  deadlineSignal,
  withDeadline,
} from './time-limit.js'
export { Transaction } from './transaction.js'
export { CORE_VERSION } from './version.js'
