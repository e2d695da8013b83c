/**
 * The mail transaction: MAIL, RCPT, DATA and BDAT, and what happens once a message is complete
 * (trace headers, data_post, queue). The 250 after the message is sent only when a queue plugin
 * said OK; with no queue plugin, or a failing one, the client hears 451 and keeps the mail.
 */
import {
  Address,
  type AddressError,
  DONE,
  type HookResult,
  isDenial,
  OK,
  type ReceivedInfo,
  Transaction,
} from '@postern/core'
import { type MessageSink, receiveMessage } from './message-receiver.js'
import { parsePathArgs } from './params.js'
import type { Session } from './session.js'
import { addAuthenticationResults, protocolName, receivedValue } from './trace-headers.js'

const MAIL_PARAMS = new Set(['size', 'body', 'smtputf8', 'auth'])
const NON_ASCII = /[^\x00-\x7f]/
const RCPT_PARAMS = new Set<string>()

export async function mailCommand(s: Session, arg: string): Promise<void> {
  if (!s.connection.helloType) return s.reply(503, ['Please say hello first'], '5.5.1')
  if (s.transaction?.sender) return s.reply(503, ['Sender already given (nested MAIL)'], '5.5.1')
  const parsed = parsePathArgs(arg, 'from:')
  if (!parsed.ok) return s.reply(501, [parsed.reply], '5.5.4')
  const { params } = parsed.value
  for (const key of params.keys()) {
    if (!MAIL_PARAMS.has(key)) return s.reply(555, [`Unsupported parameter ${key.toUpperCase()}`], '5.5.4')
  }
  const body = params.get('body')?.toUpperCase()
  if (body !== undefined && body !== '7BIT' && body !== '8BITMIME')
    return s.reply(555, ['Unsupported BODY type'], '5.5.4')
  const size = params.get('size')
  if (size !== undefined) {
    if (!/^\d{1,15}$/.test(size)) return s.reply(501, ['Bad SIZE value'], '5.5.4')
    if (s.settings.databytes && Number(size) > s.settings.databytes)
      return s.reply(552, [`Message size exceeds the limit of ${s.settings.databytes} bytes`], '5.3.4')
  }
  if (params.has('smtputf8') && params.get('smtputf8') !== '')
    return s.reply(501, ['SMTPUTF8 takes no value'], '5.5.4')
  // A transaction whose MAIL a plugin answered itself (DONE) ends here, for its plugins too.
  await s.resetTransaction()
  const tx = new Transaction(s.connection.id)
  s.transaction = tx
  for (const [k, v] of params) tx.mailParams.set(k, v)
  const raw = await s.host.dispatcher.runReduce('mail_pre', s, parsed.value.path, params)
  if (!params.has('smtputf8') && NON_ASCII.test(raw)) {
    s.transaction = undefined
    return s.reply(553, ['Must declare SMTPUTF8 to send unicode address'], '5.6.7')
  }
  let sender: Address
  try {
    sender = Address.parse(raw, { utf8: params.has('smtputf8'), allowPostmaster: false })
  } catch (err) {
    s.transaction = undefined
    return s.reply(501, [`Bad sender address: ${(err as AddressError).message}`], '5.1.7')
  }
  if (await s.applyDeferred('mail')) return
  const r = await s.first('mail', s, sender, params)
  if (r.code === DONE) return
  if (isDenial(r.code)) {
    if (!(await s.replyFor('mail', r))) await s.resetTransaction()
    return
  }
  tx.sender = sender
  await s.reply(
    250,
    r.code === OK && r.message.length ? r.message : [`${sender.format()}, sender OK`],
    '2.1.0',
  )
}

export async function rcptCommand(s: Session, arg: string): Promise<void> {
  const tx = s.transaction
  if (!tx?.sender) return s.reply(503, ['MAIL first'], '5.5.1')
  if (s.usedBdat) return s.reply(503, ['RCPT after BDAT'], '5.5.1')
  // Not an error of the client's (RFC 5321 §4.5.3.1.10: it sends the rest in another transaction),
  // so these do not count toward max_errors: 1,050 recipients keep the 1,000 accepted.
  if (tx.recipients.length >= s.settings.maxRecipients)
    return s.replyNotCounted(452, ['Too many recipients'], '4.5.3')
  const parsed = parsePathArgs(arg, 'to:')
  if (!parsed.ok) return s.reply(501, [parsed.reply], '5.5.4')
  const { params } = parsed.value
  for (const key of params.keys()) {
    if (!RCPT_PARAMS.has(key)) return s.reply(555, [`Unsupported parameter ${key.toUpperCase()}`], '5.5.4')
  }
  const raw = await s.host.dispatcher.runReduce('rcpt_pre', s, parsed.value.path, params)
  if (!tx.mailParams.has('smtputf8') && NON_ASCII.test(raw))
    return s.reply(553, ['Must declare SMTPUTF8 to send unicode address'], '5.6.7')
  let rcpt: Address
  try {
    rcpt = Address.parse(raw, { utf8: tx.mailParams.has('smtputf8') })
  } catch (err) {
    return s.reply(501, [`Bad recipient address: ${(err as AddressError).message}`], '5.1.3')
  }
  if (rcpt.isNull) return s.reply(501, ['The null path is not a recipient'], '5.1.3')
  if (await s.applyDeferred('rcpt')) return
  const r = await s.first('rcpt', s, rcpt, params)
  if (r.code === DONE) return
  if (r.code !== OK) {
    await s.replyFor('rcpt', r)
    return
  }
  tx.addRecipient(rcpt)
  await s.reply(250, r.message.length ? r.message : [`${rcpt.format()}, recipient ok`], '2.1.5')
}

/** Checks shared by DATA and the first BDAT; returns false after replying a refusal. */
async function startMessage(s: Session): Promise<boolean> {
  const tx = s.transaction
  if (!tx?.sender) {
    await s.reply(503, ['MAIL first'], '5.5.1')
    return false
  }
  if (!tx.recipients.length) {
    await s.reply(554, ['No valid recipients'], '5.5.1')
    return false
  }
  if (await s.applyDeferred('data')) return false
  const r = await s.first('data', s)
  if (r.code === DONE) return false
  if (isDenial(r.code)) {
    if (!(await s.replyFor('data', r))) await s.resetTransaction()
    return false
  }
  return true
}

export async function dataCommand(s: Session, arg: string): Promise<void> {
  if (arg) return s.reply(501, ['DATA takes no arguments'], '5.5.4')
  if (s.usedBdat) return s.reply(503, ['DATA cannot follow BDAT'], '5.5.1')
  // Anything pipelined after DATA, before our 354, is an attack or a broken client.
  if (await s.syncViolation()) return
  if (!(await startMessage(s))) return
  await s.reply(354, ['End data with <CR><LF>.<CR><LF>'])
  s.flush()
  s.busy = true
  try {
    const sink = await receiveMessage(s, { kind: 'data' })
    if (!sink) return
    if (await pipelinedAfterDot(s)) {
      await sink.discard()
      return
    }
    await finishMessage(s, sink)
  } finally {
    s.busy = false
  }
}

const BDAT_ARGS = /^(\d{1,15})(?:[ \t]+(LAST))?$/i

export async function bdatCommand(s: Session, arg: string): Promise<void> {
  const m = BDAT_ARGS.exec(arg)
  if (!m) {
    // The chunk size is unknown, so the byte stream can no longer be framed: hang up.
    await s.reply(501, ['Syntax: BDAT <size> [LAST]'], '5.5.4')
    s.close()
    return
  }
  const size = Number(m[1])
  const last = m[2] !== undefined
  if (size === 0 && !last) return s.reply(551, ['Null BDAT request'], '5.7.1')
  s.busy = true
  try {
    await bdatChunk(s, size, last)
  } finally {
    s.busy = false
  }
}

async function bdatChunk(s: Session, size: number, last: boolean): Promise<void> {
  const failed = s.bdatRefusal
  if (failed && !s.bdat) {
    // RFC 3030 §3: after a refused chunk, chunks already pipelined are read and discarded.
    if (!(await drain(s, size))) return
    if (last) s.bdatRefusal = undefined
    return s.reply(failed.code, [failed.text], failed.enhanced)
  }
  let sink = s.bdat
  if (!sink) {
    // The first chunk of a transaction: the same checks as DATA. A refused chunk is still read.
    const ok = s.transaction?.sender && s.transaction.recipients.length ? await startMessage(s) : false
    if (!ok) {
      if (!(await drain(s, size))) return
      if (!s.transaction?.sender) return s.reply(503, ['MAIL first'], '5.5.1')
      if (!s.transaction.recipients.length) return s.reply(554, ['No valid recipients'], '5.5.1')
      return
    }
    s.usedBdat = true
    sink = await receiveMessage(s, { kind: 'bdat-start' })
    if (!sink) return
    s.bdat = sink
  }
  const complete = await sink.chunk(size)
  if (!complete) {
    s.bdat = undefined
    return
  }
  if (!last) {
    const over = sink.overLimit()
    if (!over) return s.reply(250, [`${size} octets received`], '2.0.0')
    // Over the size limit: the transaction has failed; later chunks get the same answer.
    s.bdat = undefined
    await sink.discard()
    await s.resetTransaction()
    if (!s.closing) s.bdatRefusal = over
    return s.reply(over.code, [over.text], over.enhanced)
  }
  s.bdat = undefined
  if (!(await sink.end())) return
  await finishMessage(s, sink)
}

/** Reads and throws away `size` bytes; false when the client went away. */
async function drain(s: Session, size: number): Promise<boolean> {
  let left = size
  while (left > 0) {
    const chunk = await s.input.readUpTo(left)
    if (!chunk) return false
    left -= chunk.length
  }
  return true
}

/**
 * Commands sent in the same packet as the final dot, before our reply, are how SMTP smuggling
 * and broken clients look. Unauthenticated clients get Postfix's answer: 554 5.5.0 and close,
 * and the message is not queued. A lone QUIT after the dot is common and harmless.
 */
async function pipelinedAfterDot(s: Session): Promise<boolean> {
  if (!s.settings.forbidUnauthPipelining || s.connection.auth || s.input.buffered === 0) return false
  if (s.input.buffered === 6 && /^quit\r\n$/i.test(s.input.peek(6).toString('latin1'))) return false
  await s.reply(554, ['Error: SMTP protocol synchronization'], '5.5.0')
  s.close()
  return true
}

/** The message is complete: refuse it for framing or size, or run the content hooks and queue. */
async function finishMessage(s: Session, sink: MessageSink): Promise<void> {
  const tx = s.transaction!
  const refusal = sink.refusal()
  if (refusal) {
    await sink.discard()
    if (!refusal.close) await s.resetTransaction()
    await s.reply(refusal.code, [refusal.text], refusal.enhanced)
    if (refusal.close) s.close()
    return
  }
  const body = await sink.finish()
  tx.body = body
  tx.header = sink.header()
  const early = sink.headersEndVerdict()
  if (early) {
    if (!(await s.replyFor('data_headers_end', early))) await s.resetTransaction()
    return
  }
  await s.host.dispatcher.runNotify('data_post_headers', s)
  await addTraceHeaders(s)
  if (await s.applyDeferred('data_post')) return
  const post = await s.first('data_post', s)
  if (post.code === DONE) return s.resetTransaction()
  if (isDenial(post.code)) {
    if (!(await s.replyFor('data_post', post))) await s.resetTransaction()
    return
  }
  await queue(s)
}

async function addTraceHeaders(s: Session): Promise<void> {
  const tx = s.transaction!
  const header = tx.header
  if (!header) return
  if (s.settings.authServId) addAuthenticationResults(header, s.connection, s.settings.authServId)
  const { connection } = s
  const protocol = protocolName(connection, tx.mailParams.has('smtputf8'))
  const ours = receivedValue(connection, tx, s.settings.me, protocol)
  const info: ReceivedInfo = {
    protocol,
    ...(connection.tls ? { tls: `${connection.tls.protocol} ${connection.tls.cipher}` } : {}),
    ...(connection.auth ? { auth: connection.auth.user } : {}),
  }
  // received_line (qpsmtpd): a plugin may rewrite or replace the value.
  const value = await s.host.dispatcher.runReduce('received_line', s, ours, info)
  if (value !== ours && !isHeaderValue(value)) {
    s.log.error('received_line returned a value that is not a valid header value; using ours')
    header.add('Received', ours)
  } else header.add('Received', value)
}

async function queue(s: Session): Promise<void> {
  const pre = await s.first('queue_pre', s)
  if (pre.code === DONE) return s.resetTransaction()
  const r: HookResult = await s.first('queue', s)
  if (r.code !== DONE) await s.replyFor('queue', r)
  if (r.code === OK) {
    s.log.info(`queued by ${r.plugin}`)
    s.messageAccepted()
  }
  await s.host.dispatcher.runNotify('queue_post', s, {
    code: r.code,
    message: r.message,
    ...(r.plugin ? { plugin: r.plugin } : {}),
  })
  await s.resetTransaction()
}

/**
 * A header value a plugin may hand us: not empty, no NUL, and every line end a CRLF followed by
 * folding white space (anything else would start a new header or break the message).
 */
function isHeaderValue(value: string): boolean {
  if (!value.trim() || value.includes('\0')) return false
  return !/\r(?!\n[ \t])|(?<!\r)\n/.test(value)
}
