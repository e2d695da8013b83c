export { authenticate, type Credentials, chooseMechanism } from './auth.js'
export {
  abortKind,
  type ConnectOptions,
  describeEndpoint,
  type Endpoint,
  SmtpConnection,
} from './connection.js'
export { type DeliverySignal, deliveryBudgetMs, deliverySignal, hookTimeoutMs } from './deadline.js'
export {
  type DeliveryOptions,
  type DeliveryResult,
  deliver,
  type MailParams,
  type Route,
  type RouteReport,
} from './deliver.js'
export { parseEndpoint } from './endpoint.js'
export { SmtpClientError, type SmtpErrorKind } from './errors.js'
export { type FramingOptions, LineCanonicalizer } from './framing.js'
export { type MessageTraits, mailParamsFor } from './mail-params.js'
export { type Decision, decide, type RecipientOutcome, type RecipientStatus, statusOf } from './outcome.js'
export { CORE_KEYS, type PluginWords, parsePluginWords, seconds, yesNo } from './plugin-words.js'
export { type QueueDelivery, type QueueHook, type QueueVerdict, queueHook } from './queue-hook.js'
export {
  formatReply,
  isPermanent,
  isPositive,
  isTemporary,
  makeReply,
  type Reply,
  ReplyParser,
} from './reply.js'
export { type OpenSession, openSession, type SessionOptions, type TlsPolicy } from './session.js'
export {
  type DataResult,
  type Envelope,
  type EnvelopeResult,
  resetTransaction,
  sendData,
  sendEnvelope,
} from './transaction.js'
export { errorReply, failureVerdict } from './verdict.js'
