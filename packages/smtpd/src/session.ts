/**
 * One SMTP session, top-down: bytes → command → hook → verdict → reply.
 * The session pulls lines from its input, runs the hooks for each command through the plugin
 * host's dispatcher, and maps verdicts to replies (verdict-replies.ts). Every limit is checked
 * here, before any plugin runs.
 */
import {
  type Connection,
  DECLINED,
  DENY,
  DONE,
  deferredReject,
  type EnhancedCode,
  type FirstHookName,
  type HookArgs,
  type HookResult,
  isImmune,
  type Logger,
  OK,
  type PluginHost,
  type SessionHost,
  type Transaction,
} from '@postern/core'
import { authCommand, authMechanisms } from './auth.js'
import { type InputReader, type LineResult, TIMEOUT } from './input.js'
import type { MessageSink, Refusal } from './message-receiver.js'
import { formatReply } from './reply.js'
import type { Settings } from './settings.js'
import { bdatCommand, dataCommand, mailCommand, rcptCommand } from './transaction-commands.js'
import type { Transport } from './transport.js'
import { mapReply, type ReplyHook } from './verdict-replies.js'

const VERB = /^([A-Za-z]{1,12})(?:[ \t]+(.*))?$/s
const HTTP_VERBS = new Set(['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT'])
/** Commands that move no mail (Postfix's junk commands, plus HELP): limited per connection. */
const JUNK_VERBS = new Set(['NOOP', 'HELP', 'VRFY', 'RSET'])
/** Replies held back for a pipelined group are written once they reach this size. */
const OUT_FLUSH = 16 * 1024
/** The usual enhanced code of a command's success, where it is not 2.0.0 (RFC 3463, RFC 4954). */
const SUCCESS_CODES = new Map<string, EnhancedCode>([
  ['MAIL', '2.1.0'],
  ['RCPT', '2.1.5'],
  ['AUTH', '2.7.0'],
])
/** A reply text that starts with its own enhanced status code (`5.7.1 …`). */
const LEADING_ENHANCED = /^[245]\.\d{1,3}\.\d{1,3}(?: |$)/

export type Phase = Settings['deferredRejectPhase']

export interface SessionOptions {
  host: PluginHost
  settings: Settings
  connection: Connection
  transport: Transport
  input: InputReader
  /** Called once when the session has ended (after the disconnect hooks); must not throw. */
  onEnd?: (session: Session) => void
}

export class Session implements SessionHost {
  readonly host: PluginHost
  readonly settings: Settings
  readonly connection: Connection
  readonly transport: Transport
  readonly input: InputReader
  transaction: Transaction | undefined
  /** BDAT was used in this transaction (DATA is then refused). */
  usedBdat = false
  /** The BDAT transfer in progress. */
  bdat: MessageSink | undefined
  /** A BDAT chunk was refused: the chunks the client already pipelined get the same answer. */
  bdatRefusal: Refusal | undefined
  /** Made when a plugin first asks for the signal: most sessions never do. */
  #controller: AbortController | undefined
  #out = ''
  #errors = 0
  #unknownCount = 0
  #junkCount = 0
  #delay = 0
  #closing = false
  /** A transfer is in progress: shutdown waits for it. */
  busy = false
  /** A command is being handled (a hook may be in flight): shutdown waits for its reply. */
  #inCommand = false
  /** The server is shutting down: 421 once no command and no transaction is open. */
  #shutdownPending = false
  /** The verb being handled (for the enhanced code of a plugin's own reply). */
  #verb = ''
  #ended = false
  readonly #onEnd: ((session: Session) => void) | undefined

  constructor(options: SessionOptions) {
    this.host = options.host
    this.settings = options.settings
    this.connection = options.connection
    this.transport = options.transport
    this.input = options.input
    this.#onEnd = options.onEnd
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController()
      // Asked for after the end: it is already aborted, as it would have been.
      if (this.#ended) this.#controller.abort(new Error('session ended'))
    }
    return this.#controller.signal
  }

  get closing(): boolean {
    return this.#closing
  }

  #log: Logger | undefined
  /** The server's logger, bound to this connection. */
  get log(): Logger {
    this.#log ??= this.host.log.child({ connection: this.connection.id })
    return this.#log
  }

  // ---- SessionHost (what plugins reach through ctx) ----

  async respond(code: number, message: string | readonly string[], enhanced?: EnhancedCode): Promise<void> {
    const lines = typeof message === 'string' ? message.split('\n') : message
    await this.reply(code, lines, enhanced ?? this.#defaultEnhanced(code, lines))
  }

  /**
   * The enhanced code for a plugin's reply that named none, so ENHANCEDSTATUSCODES holds for it
   * too: the command's usual success code, else X.0.0. None for the greeting and the HELO/EHLO
   * replies (RFC 2034 §3), for 3xx, and when the text starts with its own code.
   */
  #defaultEnhanced(code: number, lines: readonly string[]): EnhancedCode | undefined {
    if (!this.connection.greeted || this.#verb === 'HELO' || this.#verb === 'EHLO') return undefined
    if (LEADING_ENHANCED.test(lines[0] ?? '')) return undefined
    const klass = Math.floor(code / 100)
    if (klass === 2) return SUCCESS_CODES.get(this.#verb) ?? '2.0.0'
    if (klass === 4) return '4.0.0'
    if (klass === 5) return '5.0.0'
    return undefined
  }

  delayReplies(ms: number): void {
    this.#delay = ms <= 0 ? 0 : this.#delay + ms
  }

  // ---- replies ----

  /** Queues a reply; it is written when the client has nothing more pipelined. */
  async reply(code: number, lines: readonly string[], enhanced?: EnhancedCode): Promise<void> {
    await this.replyNotCounted(code, lines, enhanced)
    if (code >= 400 && code !== 421) {
      this.#errors++
      if (this.#errors >= this.settings.maxErrors && !this.#closing) {
        this.#out += formatReply(421, [`${this.settings.me} Too many errors, closing connection`], '4.7.0')
        this.close()
      }
    }
  }

  /** A refusal that is no error of the client's: it does not count toward `max_errors`. */
  async replyNotCounted(code: number, lines: readonly string[], enhanced?: EnhancedCode): Promise<void> {
    if (this.#delay) {
      this.flush()
      await new Promise((r) => setTimeout(r, this.#delay))
    }
    this.#out += formatReply(code, lines, enhanced)
  }

  /** A message was accepted: the junk-command count starts again (as Postfix's does). */
  messageAccepted(): void {
    this.#junkCount = 0
  }

  /** Replies for a hook result from the table; returns true when the session must stop. */
  async replyFor(hook: ReplyHook, result: HookResult): Promise<boolean> {
    const mapped = mapReply(hook, result)
    if (!mapped) return false
    await this.reply(mapped.code, mapped.lines, mapped.enhanced)
    if (mapped.close) this.close()
    return mapped.close
  }

  flush(): void {
    if (this.#out) {
      this.transport.write(this.#out)
      this.#out = ''
    }
  }

  /** Ends the session after the queued replies. */
  close(): void {
    this.#closing = true
  }

  // ---- hooks ----

  first<K extends FirstHookName>(hook: K, host: SessionHost, ...args: HookArgs<K>): Promise<HookResult> {
    return this.host.dispatcher.runFirst(hook, host, ...args)
  }

  /** Applies a deferred ("naughty") reject if this is its phase. Returns true when refused. */
  async applyDeferred(phase: Phase): Promise<boolean> {
    if (phase !== this.settings.deferredRejectPhase) return false
    if (isImmune(this.connection, this.transaction)) return false
    const v = deferredReject(this.connection)
    if (!v) return false
    const hook: ReplyHook = phase === 'connect' ? 'connect' : phase === 'data_post' ? 'data_post' : phase
    const result: HookResult = {
      code: v.code,
      message: [v.message].flat() as string[],
      ...(v.enhanced ? { enhanced: v.enhanced } : {}),
    }
    if (!(await this.replyFor(hook, result))) {
      if (phase !== 'connect' && phase !== 'rcpt') await this.resetTransaction()
    }
    return true
  }

  /** Ends the current transaction (RSET, new MAIL, after DATA, disconnect). */
  async resetTransaction(): Promise<void> {
    const tx = this.transaction
    if (!tx) return
    // Plugins see the transaction one last time, then it is gone.
    await this.host.dispatcher.runNotify('reset_transaction', this)
    this.transaction = undefined
    this.usedBdat = false
    await this.bdat?.discard()
    this.bdat = undefined
    await tx.body?.remove?.()
  }

  // ---- the session ----

  async run(): Promise<void> {
    // An idle session is suspended in this frame: it is kept small (the work is in #take), as
    // a suspended async function holds a register file sized for its whole body.
    try {
      if (!(await this.#greet())) return
      while (!this.#closing) {
        if (this.#shutdownPending && !this.transaction?.sender) return this.#refuseForShutdown()
        if (this.input.buffered === 0 || this.#out.length >= OUT_FLUSH) this.flush()
        // A client that does not read its replies gets no more read from it until it does.
        if (this.transport.backlogged && !(await this.#drained())) return
        // A line already buffered (pipelining) needs no deadline, timer or promise.
        const r = this.input.tryReadLine(this.settings.maxLineLength) ?? (await this.readLine())
        // Closed while waiting (shutdown): what arrived meanwhile is not answered.
        if (this.#closing) return
        if (await this.#take(r)) return
      }
    } catch (err) {
      this.#crashed(err)
    } finally {
      await this.#end()
    }
  }

  /** Handles one read: a command, an over-long line, the end, or a timeout. True: stop. */
  async #take(r: LineResult | typeof TIMEOUT): Promise<boolean> {
    if (r === TIMEOUT) {
      await this.reply(421, [`${this.settings.me} Timeout exceeded, closing connection`], '4.4.2')
      return true
    }
    if (r.kind === 'eof') return true
    if (r.kind === 'too-long') await this.reply(500, ['Line too long'], '5.5.6')
    else {
      this.#inCommand = true
      try {
        await this.#command(r.line)
      } finally {
        this.#inCommand = false
      }
    }
    return false
  }

  /**
   * Waits for the client to read the replies written so far. False when the session must end:
   * the input ended (client gone, or the server's shutdown deadline), or the client read
   * nothing for a whole command timeout (it is then not worth a reply).
   */
  #drained(): Promise<boolean> {
    return new Promise((resolve) => {
      let cancelEnd = noop
      const finish = (ok: boolean, timedOut?: boolean) => {
        clearTimeout(timer)
        cancelEnd()
        if (timedOut) this.#silent = true
        resolve(ok)
      }
      const timer = setTimeout(finish, this.settings.commandTimeout, false, true)
      cancelEnd = this.input.onEnd(() => finish(false))
      void (this.transport.drained?.() ?? Promise.resolve()).then(() => finish(true))
    })
  }

  #crashed(err: unknown): void {
    this.log.crit(`session failed: ${(err as Error).stack ?? err}`)
    this.#out += formatReply(421, [`${this.settings.me} Internal error, closing connection`], '4.3.0')
  }

  async #greet(): Promise<boolean> {
    // The greeting counts as a command: a shutdown meanwhile is answered after it.
    this.#inCommand = true
    try {
      return await this.#greeting()
    } finally {
      this.#inCommand = false
    }
  }

  async #greeting(): Promise<boolean> {
    const pre = await this.first('pre-connection', this)
    if (await this.replyFor('pre-connection', pre)) return false
    const r = await this.first('connect', this)
    if (await this.replyFor('connect', r)) return false
    if (await this.applyDeferred('connect')) {
      if (this.#closing) return false
    }
    if (r.code !== DONE) {
      const text = this.settings.greeting
        ? this.settings.greeting.includes('ESMTP')
          ? this.settings.greeting
          : `${this.settings.greeting} ESMTP`
        : `${this.settings.me} ESMTP Postern ready`
      this.#out += formatReply(220, [text])
    }
    this.connection.greeted = true
    this.flush()
    return !this.#closing
  }

  /** Reads one line with the per-command deadline. */
  readLine(): Promise<LineResult | typeof TIMEOUT> {
    return this.input.readLine(this.settings.maxLineLength, this.settings.commandTimeout)
  }

  withDeadline<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
    // One promise and one timer per wait (Promise.race cost three promises and two closures).
    // Not core's withDeadline: that rejects with an Error (a stack trace per timeout) and
    // watches a signal; here, per DATA chunk, running out of time is an ordinary outcome.
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms, TIMEOUT)
      p.then(
        (v) => {
          clearTimeout(timer)
          resolve(v)
        },
        (err: unknown) => {
          clearTimeout(timer)
          reject(err)
        },
      )
    })
  }

  /** RFC 2920: these commands end a pipelined group; anything sent after them is a violation. */
  async syncViolation(): Promise<boolean> {
    if (this.input.buffered === 0) return false
    await this.reply(554, ['Error: SMTP protocol synchronization'], '5.5.0')
    this.close()
    return true
  }

  async #command(raw: Buffer): Promise<void> {
    // NUL or a bare CR/LF inside a command line is never legitimate.
    if (hasBadByte(raw)) {
      await this.reply(501, ['Syntax error: bad character in command'], '5.5.2')
      return
    }
    const line = raw.toString('utf8')
    const m = VERB.exec(line)
    if (!m) return this.#unrecognized(line.split(/\s/, 1)[0] ?? '', line)
    const verb = m[1]!.toUpperCase()
    const arg = (m[2] ?? '').trim()
    this.#verb = verb
    if (verb !== 'BDAT') this.bdatRefusal = undefined
    if (JUNK_VERBS.has(verb) && ++this.#junkCount > this.settings.maxJunkCommands) {
      await this.reply(
        421,
        [`${this.settings.me} Too many commands without mail, closing connection`],
        '4.7.0',
      )
      this.close()
      return
    }
    if (HTTP_VERBS.has(verb) && /\bHTTP\/\d/.test(arg)) {
      // Cross-protocol: a browser or proxy talking HTTP to the SMTP port.
      await this.reply(421, [`${this.settings.me} HTTP requests not allowed`], '4.7.0')
      this.close()
      return
    }
    switch (verb) {
      case 'HELO':
      case 'EHLO':
        return this.#hello(verb, arg)
      case 'MAIL':
        return mailCommand(this, arg)
      case 'RCPT':
        return rcptCommand(this, arg)
      case 'DATA':
        return dataCommand(this, arg)
      case 'BDAT':
        return bdatCommand(this, arg)
      case 'RSET':
        if (arg) return this.reply(501, ['RSET takes no arguments'], '5.5.4')
        await this.resetTransaction()
        return this.reply(250, ['OK'], '2.0.0')
      case 'NOOP':
        if (await this.syncViolation()) return
        return this.#simple('noop', await this.first('noop', this))
      case 'QUIT':
        return this.#quit()
      case 'VRFY':
        if (await this.syncViolation()) return
        return this.#simple('vrfy', await this.first('vrfy', this, arg))
      case 'EXPN':
        // Unknown to the engine (a plugin may add it), but a sync point all the same.
        if (await this.syncViolation()) return
        break
      case 'HELP':
        return this.#help(arg)
      case 'STARTTLS':
        if (this.transport.tlsAvailable) return this.#starttls(arg)
        break
      case 'AUTH':
        if (this.connection.auth) return this.reply(503, ['Already authenticated'], '5.5.1')
        if (authMechanisms(this).length) return authCommand(this, arg)
        break
    }
    return this.#unrecognized(verb.toLowerCase(), arg)
  }

  /**
   * NOOP and VRFY: a code without its own entry (OK for NOOP) answers like DECLINED. VRFY DENY
   * also ends the transaction, as qpsmtpd's does.
   */
  async #simple(hook: 'noop' | 'vrfy', r: HookResult): Promise<void> {
    if (r.code === DONE) return
    await this.replyFor(hook, mapReply(hook, r) ? r : { ...r, code: DECLINED })
    if (hook === 'vrfy' && r.code === DENY) await this.resetTransaction()
  }

  async #unrecognized(verb: string, rest: string): Promise<void> {
    this.#unknownCount++
    const r = await this.first('unrecognized_command', this, verb, rest)
    if (r.code === DONE) return
    // A refusal has its own reply (and only that one); anything else gets the plain 500.
    if (mapReply('unrecognized_command', r)) await this.replyFor('unrecognized_command', r)
    else await this.reply(500, ['Unrecognized command'], '5.5.1')
    if (this.#unknownCount >= this.settings.maxUnrecognized && !this.#closing) {
      await this.reply(
        421,
        [`${this.settings.me} Too many unrecognized commands, closing connection`],
        '4.7.0',
      )
      this.close()
    }
  }

  async #hello(verb: 'HELO' | 'EHLO', host: string): Promise<void> {
    if (!host) return this.reply(501, [`${verb} requires domain/address`], '5.5.4')
    if (await this.syncViolation()) return
    const type = verb === 'EHLO' ? 'ehlo' : 'helo'
    const r = await this.first(type, this, host)
    if (r.code === DONE) return
    if (await this.replyFor('helo', r)) return
    if (r.code !== OK && r.code !== DECLINED) return
    // A new hello resets the session's state (RFC 5321 §4.1.4).
    await this.resetTransaction()
    this.connection.helloType = type
    this.connection.helloHost = host
    const greeting = `${this.settings.me} Hello ${host} [${this.connection.remoteIp}]`
    if (type === 'helo') return this.reply(250, [greeting])
    const caps = await this.host.dispatcher.runReduce('capabilities', this, this.#capabilities())
    // EHLO replies carry no enhanced code (RFC 2034 §3).
    this.#out += formatReply(250, [greeting, ...caps])
  }

  #capabilities(): string[] {
    const caps = ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'CHUNKING']
    caps.push(this.settings.databytes ? `SIZE ${this.settings.databytes}` : 'SIZE')
    if (this.transport.tlsAvailable && !this.connection.tls) caps.push('STARTTLS')
    const mechs = authMechanisms(this)
    if (mechs.length) caps.push(`AUTH ${mechs.join(' ')}`)
    return caps
  }

  async #help(arg: string): Promise<void> {
    const r = await this.first('help', this, arg)
    if (r.code === DONE) return
    // DENY has its own reply, and that is the only one.
    if (r.code === DENY) {
      await this.replyFor('help', r)
      return
    }
    const lines =
      r.code === OK && r.message.length
        ? r.message
        : ['Postern SMTP server', 'See RFC 5321', 'End of HELP info']
    await this.reply(214, lines, '2.0.0')
  }

  async #quit(): Promise<void> {
    const r = await this.first('quit', this)
    if (r.code !== DONE)
      await this.reply(221, [`${this.settings.me} closing connection. Have a wonderful day.`], '2.0.0')
    this.close()
  }

  async #starttls(arg: string): Promise<void> {
    if (arg) return this.reply(501, ['STARTTLS takes no arguments'], '5.5.4')
    if (this.connection.tls) return this.reply(503, ['TLS already active'], '5.5.1')
    await this.reply(220, ['Ready to start TLS'], '2.0.0')
    this.flush()
    // Plaintext sent after STARTTLS and before the handshake is discarded (CVE-2011-0411).
    this.input.clear()
    try {
      this.connection.tls = await this.transport.startTls()
    } catch (err) {
      this.log.info(`TLS handshake failed: ${(err as Error).message}`)
      this.close()
      this.#silent = true
      return
    }
    // Everything learnt before TLS is forgotten: the client must say EHLO again.
    await this.resetTransaction()
    this.connection.helloType = undefined
    this.connection.helloHost = undefined
    this.connection.auth = undefined
  }

  /** Nothing more may be written (the transport is gone or not in a state to take replies). */
  #silent = false

  async #end(): Promise<void> {
    if (this.#ended) return
    this.#ended = true
    if (!this.#silent) this.flush()
    // No signal handed out, nothing to abort (and no Error with a stack to build per session).
    this.#controller?.abort(new Error('session ended'))
    try {
      // qpsmtpd's order: disconnect still sees the transaction, then it is reset.
      await this.host.dispatcher.runNotify('disconnect', this)
      await this.resetTransaction()
      await this.host.dispatcher.runNotify('post-connection', this)
    } catch (err) {
      this.log.error(`disconnect hooks failed: ${(err as Error).message}`)
    }
    // run() never rejects (nobody awaits it in the server): nothing here may throw out.
    try {
      this.transport.close()
    } finally {
      this.#onEnd?.(this)
    }
  }

  /**
   * For shutdown: an idle session gets 421 now. A command in progress (a hook in flight) is
   * answered first, and a transaction (MAIL accepted) may finish: the 421 follows its end. The
   * server's deadline cuts off what is still open (it ends the input).
   */
  async shutdown(): Promise<void> {
    if (this.#closing) return
    this.#shutdownPending = true
    if (this.busy || this.#inCommand || this.transaction?.sender) return
    this.#refuseForShutdown()
    this.input.end()
  }

  #refuseForShutdown(): void {
    this.#out += formatReply(421, [`${this.settings.me} Service shutting down, try again later`], '4.3.2')
    this.close()
    this.flush()
  }
}

function noop(): void {}

/** NUL, CR or LF in a command line (one pass instead of three `includes`). */
function hasBadByte(line: Buffer): boolean {
  for (let i = 0; i < line.length; i++) {
    const b = line[i]!
    if (b === 0 || b === 0x0d || b === 0x0a) return true
  }
  return false
}
