export {
  type Admissions,
  type AdmissionVerdict,
  ConnectionCounts,
  type ConnectionLimits,
} from './connection-counts.js'
export { DataParser } from './data-parser.js'
export { InputReader } from './input.js'
export { type MemorySession, type MemorySessionOptions, openMemorySession } from './memory-session.js'
export { formatReply } from './reply.js'
export { createServer, type ListenAddress, PosternServer, parseListen, type ServerOptions } from './server.js'
export { Session, type SessionOptions } from './session.js'
export { loadSettings, readSettings, type Settings, type SettingsSource } from './settings.js'
export type { Transport } from './transport.js'
export { REPLIES } from './verdict-replies.js'
