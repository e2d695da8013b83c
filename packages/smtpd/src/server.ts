/**
 * The SMTP server: listeners (plain, STARTTLS-capable, implicit TLS), connection limits, PROXY
 * protocol, a Session per connection, reload without dropping connections, graceful shutdown.
 * `createServer` is the embedding API; the `postern` CLI is built on it.
 */
import { existsSync } from 'node:fs'
import { BlockList, isIP, createServer as netServer, type Server, type Socket } from 'node:net'
import path from 'node:path'
import type { TLSSocket } from 'node:tls'
import {
  Connection,
  createPluginHost,
  type PluginDefinition,
  type PluginHost,
  type PluginHostOptions,
  type RootLogger,
} from '@postern/core'
import { type Admissions, type AdmissionVerdict, ConnectionCounts } from './connection-counts.js'
import { readProxyHeader } from './proxy-protocol.js'
import { formatReply } from './reply.js'
import { loadServerTls, type ServerTls } from './server-tls.js'
import { Session } from './session.js'
import { loadSettings, type Settings } from './settings.js'
import { openSiteStore } from './site-store.js'
import { SocketTransport, tlsInfo } from './socket-transport.js'
import { ensureSpoolDir, sweepSpoolDir } from './spool-dir.js'

export interface ListenAddress {
  host: string
  port: number
  /** Implicit TLS (SMTPS, port 465 style). */
  tls?: boolean
}

export interface ServerOptions {
  /** The config directory (qpsmtpd layout). */
  config: string
  /**
   * Plugins given in code; `config/plugins` (or `pluginLines`) names them, in hook order, among
   * installed ones. Without either, these run in the order given.
   */
  plugins?: readonly PluginDefinition[]
  /** Used instead of `config/plugins`. */
  pluginLines?: readonly string[]
  /** Default: `config/listen`, else 127.0.0.1:2525. Port 0 picks a free port. */
  listen?: readonly (string | ListenAddress)[]
  log?: RootLogger
  /** Passed to the plugin host (store, dns, searchDirs…). */
  host?: Partial<PluginHostOptions>
  /**
   * Where connections are counted against `max_connections` and `max_connections_per_ip`.
   * Default: in this process. The CLI's `--workers` pass one that asks the primary.
   */
  admissions?: Admissions
}

/** `host:port`, `[v6]:port`, optionally followed by ` tls`. */
export function parseListen(text: string): ListenAddress {
  const [addr, ...flags] = text.trim().split(/\s+/) as [string, ...string[]]
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(addr)
  if (!m) throw new Error(`bad listen address "${text}" (want host:port)`)
  const host = m[1] ?? m[2]!
  const port = Number(m[3])
  if (port > 65535) throw new Error(`bad port in "${text}"`)
  return { host, port, ...(flags.includes('tls') ? { tls: true } : {}) }
}

interface Generation {
  host: PluginHost
  settings: Settings
  /** Set when tls_cert and tls_key are configured. */
  tls: ServerTls | undefined
  proxyHosts: BlockList
  sessions: number
  retired: boolean
}

/** A connection counted against the limits: released exactly once, when its session ends. */
interface Admission {
  /**
   * The client the per-IP limit counts it for: the socket's peer, or the client a PROXY header
   * named. Undefined while a listed proxy's header is awaited (the proxy itself is not limited).
   */
  ip: string | undefined
  readonly gen: Generation
}

export class PosternServer {
  readonly #options: ServerOptions
  #gen!: Generation
  readonly #servers: Server[] = []
  /** Open sessions, with what was counted when each was admitted. */
  readonly #sessions = new Map<Session, Admission>()
  readonly #admissions: Admissions
  #closing = false
  addresses: ListenAddress[] = []

  constructor(options: ServerOptions) {
    this.#options = options
    this.#admissions = options.admissions ?? new ConnectionCounts()
  }

  get host(): PluginHost {
    return this.#gen.host
  }

  get settings(): Settings {
    return this.#gen.settings
  }

  /** Open sessions (for tests and shutdown). */
  get sessionCount(): number {
    return this.#sessions.size
  }

  /**
   * `config/plugins` when there is one (or `pluginLines`); an embedder's plugins alone run in
   * the order given.
   */
  #pluginLines(): readonly string[] | undefined {
    const { pluginLines, plugins, config } = this.#options
    if (pluginLines || !plugins?.length || existsSync(path.join(config, 'plugins'))) return pluginLines
    return plugins.map((p) => p.name)
  }

  async #load(): Promise<Generation> {
    const pluginLines = this.#pluginLines()
    const store = this.#options.host?.store ?? (await openSiteStore(this.#options.config, this.#options.log))
    let host: PluginHost
    try {
      host = await createPluginHost({
        configDir: this.#options.config,
        ...(this.#options.plugins ? { definitions: this.#options.plugins } : {}),
        ...(pluginLines ? { pluginLines } : {}),
        ...(this.#options.log ? { log: this.#options.log } : {}),
        ...this.#options.host,
        ...(store ? { store } : {}),
      })
    } catch (err) {
      if (store && !this.#options.host?.store) await store.close()
      throw err
    }
    // A store the engine opened is closed with its generation.
    const ownStore = store && !this.#options.host?.store ? store : undefined
    if (ownStore) {
      const close = host.close.bind(host)
      host = Object.assign(host, {
        close: async () => {
          await close()
          await ownStore.close()
        },
      })
    }
    try {
      const settings = await loadSettings(host.config)
      const proxyHosts = new BlockList()
      for (const entry of settings.proxyHosts) {
        const [ip, bits] = entry.split('/') as [string, string | undefined]
        const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4'
        if (!isIP(ip)) throw new Error(`config/proxy_hosts: "${entry}" is not an IP or CIDR`)
        if (bits === undefined) proxyHosts.addAddress(ip, type)
        else proxyHosts.addSubnet(ip, Number(bits), type)
      }
      const tls =
        settings.tlsCert && settings.tlsKey
          ? await loadServerTls(settings.tlsCert, settings.tlsKey)
          : undefined
      await this.#prepareSpool(settings.spoolDir, host)
      return { host, settings, tls, proxyHosts, sessions: 0, retired: false }
    } catch (err) {
      await host.close()
      throw err
    }
  }

  /**
   * The spool dir, once per dir this server uses: made (and checked, when it is the shared
   * default), and cleared of the files a crashed process left.
   */
  readonly #preparedSpools = new Set<string>()
  async #prepareSpool(dir: string, host: PluginHost): Promise<void> {
    if (this.#preparedSpools.has(dir)) return
    ensureSpoolDir(dir)
    const removed = await sweepSpoolDir(dir)
    if (removed) host.log.notice(`removed ${removed} spool file(s) left in ${dir} by a stopped process`)
    this.#preparedSpools.add(dir)
  }

  /** Loads config and plugins and starts listening; resolves with the bound addresses. */
  async listen(): Promise<ListenAddress[]> {
    this.#gen = await this.#load()
    const wanted = (this.#options.listen ?? this.#gen.host.config.files.list('listen')).map((l) =>
      typeof l === 'string' ? parseListen(l) : l,
    )
    if (!wanted.length) wanted.push({ host: '127.0.0.1', port: 2525 })
    for (const addr of wanted) {
      if (addr.tls && !this.#gen.tls)
        throw new Error(
          `listener ${addr.host}:${addr.port} wants TLS but tls_cert/tls_key are not configured`,
        )
      const server = netServer({ pauseOnConnect: true }, (socket) => void this.#accept(socket, addr))
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(addr.port, addr.host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      const bound = server.address()
      this.#servers.push(server)
      this.addresses.push({ ...addr, port: typeof bound === 'object' && bound ? bound.port : addr.port })
    }
    return this.addresses
  }

  /**
   * Admits a connection and starts its session. Nothing here waits for the session: an idle
   * connection holds no suspended frame of ours beyond the session's own.
   */
  async #accept(raw: Socket, listener: ListenAddress): Promise<void> {
    raw.setNoDelay(true)
    raw.on('error', ignore)
    const ip = raw.remoteAddress?.replace(/^::ffff:/, '') ?? '0.0.0.0'
    const { settings, proxyHosts } = this.#gen
    if (this.#closing) return this.#refuse(raw, 421, `${settings.me} Service shutting down`, '4.3.2')
    // BlockList.check builds a SocketAddress per call: skip it when no proxy host is configured.
    const viaProxy = settings.proxyHosts.length > 0 && proxyHosts.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')
    // Behind a load balancer every client shares its address: count by the header's client.
    let verdict = this.#admissions.open(viaProxy ? undefined : ip, settings)
    // Only a worker of `--workers N` waits here (for the primary); one process answers at once.
    if (typeof verdict !== 'string') verdict = await verdict
    if (verdict !== 'admit') return this.#overLimit(raw, verdict, settings.me)
    // Taken after any wait: a reload meanwhile may have retired (and closed) the one read above.
    const gen = this.#gen
    gen.sessions++
    const admission: Admission = { ip: viaProxy ? undefined : ip, gen }
    let session: Session
    try {
      const connection = new Connection({
        remoteIp: ip,
        remotePort: raw.remotePort ?? 0,
        localIp: raw.localAddress?.replace(/^::ffff:/, '') ?? '',
        localPort: raw.localPort ?? 0,
      })
      let socket: Socket = raw
      let leftover: Buffer | undefined
      if (viaProxy) {
        raw.resume()
        const proxied = await readProxyHeader(raw)
        if (proxied.info)
          Object.assign(connection, proxied.info, { remoteHost: `[${proxied.info.remoteIp}]` })
        leftover = proxied.rest
        // LOCAL and UNKNOWN headers name no client: those count for the proxy.
        const client = proxied.info?.remoteIp ?? ip
        // The proxy's slot becomes the client's: released, then counted again by the client's IP.
        this.#admissions.close(undefined)
        let rekeyed = this.#admissions.open(client, gen.settings)
        if (typeof rekeyed !== 'string') rekeyed = await rekeyed
        if (rekeyed !== 'admit') {
          this.#leave(gen)
          return this.#overLimit(raw, rekeyed, gen.settings.me)
        }
        admission.ip = client
      }
      if (listener.tls) {
        socket = await this.#implicitTls(raw, gen.tls!)
        connection.tls = tlsInfo(socket as TLSSocket)
      }
      const startTls = connection.tls ? undefined : gen.tls
      const transport = new SocketTransport(socket, connection, startTls, leftover)
      const { input } = transport
      session = new Session({
        host: gen.host,
        settings: gen.settings,
        connection,
        transport,
        input,
        onEnd: this.#ended,
      })
    } catch (err) {
      gen.host.log.info(`connection from ${ip} dropped: ${(err as Error).message}`)
      raw.destroy()
      this.#release(admission)
      return
    }
    this.#sessions.set(session, admission)
    void session.run()
  }

  /** One function for every session's end (a closure per session would be memory per connection). */
  readonly #ended = (session: Session): void => {
    const admission = this.#sessions.get(session)
    if (!admission) return
    this.#sessions.delete(session)
    this.#release(admission)
  }

  /**
   * Counted until the session ends (its socket is then closed or, for a client that does not
   * read its last replies, destroyed within 10 s).
   */
  #release({ ip, gen }: Admission): void {
    this.#admissions.close(ip)
    this.#leave(gen)
  }

  /** One session fewer on `gen`; a retired generation closes with its last. */
  #leave(gen: Generation): void {
    gen.sessions--
    if (gen.retired && gen.sessions === 0) void gen.host.close()
  }

  #overLimit(raw: Socket, verdict: Exclude<AdmissionVerdict, 'admit'>, me: string): void {
    const text =
      verdict === 'over-total'
        ? 'Too many connections, try again later'
        : 'Too many connections from your host'
    this.#refuse(raw, 421, `${me} ${text}`, '4.7.0')
  }

  #implicitTls(raw: Socket, tls: ServerTls): Promise<TLSSocket> {
    raw.resume()
    const secure = tls.wrap(raw)
    return new Promise((resolve, reject) => {
      secure.once('secure', () => {
        secure.setTimeout(0)
        resolve(secure)
      })
      secure.once('error', reject)
      secure.setTimeout(30_000, () => reject(new Error('TLS handshake timed out')))
    })
  }

  #refuse(socket: Socket, code: number, text: string, enhanced: `${2 | 4 | 5}.${number}.${number}`): void {
    socket.resume()
    socket.end(formatReply(code, [text], enhanced))
    setTimeout(() => socket.destroy(), 5000).unref()
  }

  /** Re-reads config and plugins; new connections use them, open ones finish on the old. */
  async reload(): Promise<void> {
    const next = await this.#load()
    const old = this.#gen
    this.#gen = next
    old.retired = true
    if (old.sessions === 0) await old.host.close()
  }

  /** Stops accepting; idle sessions get 421; transfers may finish until the deadline. */
  async close(deadlineMs = this.#gen?.settings.shutdownTimeout ?? 30_000): Promise<void> {
    this.#closing = true
    // server.close() resolves only when every connection is gone, so start it and await it last.
    const closed = Promise.all(this.#servers.map((s) => new Promise<void>((r) => s.close(() => r()))))
    for (const s of this.#sessions.keys()) await s.shutdown()
    const end = Date.now() + deadlineMs
    while (this.#sessions.size && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50))
      for (const s of this.#sessions.keys()) await s.shutdown()
    }
    for (const s of this.#sessions.keys()) s.input.end()
    await closed
    await this.#gen?.host.close()
  }
}

/** For sockets whose errors end the session through its input (or need no answer). */
function ignore(): void {}

/** Creates a server for embedding: `await createServer({ config }).listen()`. */
export function createServer(options: ServerOptions): PosternServer {
  return new PosternServer(options)
}
