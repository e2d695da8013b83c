/**
 * The load: Postfix's smtp-source for throughput (it says HELO, waits for every reply, no
 * pipelining), and small Node clients for what smtp-source cannot do: thousands of idle
 * connections, one 50 MB message, a warm-up transaction.
 */
import { spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { SMTP_SOURCE } from './setup.js'
import { sleep } from './util.js'

export const HELO = 'mx.example.net'
export const FROM = 'bench@example.org'
export const TO = 'user@example.com'

export interface SourceLoad {
  messages: number
  sessions: number
  bytes: number
  /** Keep the session open between messages (`-d`); otherwise a new TCP connection per message. */
  persistent: boolean
}

export interface SourceResult {
  seconds: number
  /** What smtp-source printed on stderr (any output there is an error). */
  errors: string
}

export function smtpSource(port: number, load: SourceLoad): Promise<SourceResult> {
  const args = [
    '-s',
    String(load.sessions),
    '-m',
    String(load.messages),
    '-l',
    String(load.bytes),
    '-f',
    FROM,
    '-t',
    TO,
    '-M',
    HELO,
    ...(load.persistent ? ['-d'] : []),
    `127.0.0.1:${port}`,
  ]
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(SMTP_SOURCE, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let errors = ''
    child.stderr.on('data', (d: Buffer) => {
      if (errors.length < 4000) errors += d.toString()
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const seconds = (performance.now() - t0) / 1000
      if (code !== 0 && !errors) errors = `smtp-source exited ${code}`
      resolve({ seconds, errors: errors.trim() })
    })
  })
}

/** A line-at-a-time SMTP client for scripted exchanges. */
class Conversation {
  #buf = ''
  #waiters: ((line: string) => void)[] = []
  #lines: string[] = []

  constructor(readonly socket: Socket) {
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      this.#buf += d
      for (let i = this.#buf.indexOf('\n'); i >= 0; i = this.#buf.indexOf('\n')) {
        const line = this.#buf.slice(0, i).replace(/\r$/, '')
        this.#buf = this.#buf.slice(i + 1)
        // Multi-line replies: only the last line ("250 " not "250-") completes the reply.
        if (/^\d{3}-/.test(line)) continue
        const w = this.#waiters.shift()
        if (w) w(line)
        else this.#lines.push(line)
      }
    })
  }

  reply(timeoutMs = 30_000): Promise<string> {
    const queued = this.#lines.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no reply')), timeoutMs)
      this.#waiters.push((l) => {
        clearTimeout(t)
        resolve(l)
      })
    })
  }

  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`)
    return this.reply()
  }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s))
    s.once('error', reject)
  })
}

function messageHeader(): string {
  return `From: <${FROM}>\r\nTo: <${TO}>\r\nDate: ${new Date().toUTCString().replace('GMT', '+0000')}\r\nMessage-Id: <${Date.now()}.${Math.random()}@example.org>\r\nSubject: bench\r\n\r\n`
}

/**
 * One transaction; resolves with the reply to the end of data (or the first refusal). The body
 * is `bodyBytes` of 78-character lines, written with backpressure.
 */
export async function sendOne(port: number, bodyBytes = 1024): Promise<string> {
  const s = await open(port)
  const c = new Conversation(s)
  try {
    const banner = await c.reply()
    if (!banner.startsWith('220')) return banner
    for (const cmd of [`HELO ${HELO}`, `MAIL FROM:<${FROM}>`, `RCPT TO:<${TO}>`, 'DATA']) {
      const r = await c.command(cmd)
      if (!/^[23]/.test(r)) return r
    }
    s.write(messageHeader())
    const line = `${'x'.repeat(76)}\r\n`
    const block = Buffer.from(line.repeat(Math.ceil(65536 / line.length)))
    for (let sent = 0; sent < bodyBytes; sent += block.length) {
      if (!s.write(block)) await new Promise((r) => s.once('drain', r))
    }
    s.write('.\r\n')
    const r = await c.reply(120_000)
    await c.command('QUIT').catch(() => '')
    return r
  } finally {
    s.destroy()
  }
}

/**
 * Opens `count` connections (at most `inFlight` handshakes at a time), reads each 220, and holds
 * them silent. Returns a function that closes them all.
 */
export async function holdIdle(
  port: number,
  count: number,
  inFlight = 200,
): Promise<{ greeted: number; close: () => Promise<void> }> {
  const sockets: Socket[] = []
  let greeted = 0
  let next = 0
  const one = async (): Promise<void> => {
    while (next < count) {
      next++
      const s = await open(port)
      s.on('error', () => {})
      sockets.push(s)
      await new Promise<void>((resolve) => {
        s.once('data', (d: Buffer) => {
          if (d.toString('latin1').startsWith('220')) greeted++
          resolve()
        })
        s.once('close', () => resolve())
      })
    }
  }
  await Promise.all(Array.from({ length: inFlight }, one))
  return {
    greeted,
    async close() {
      for (const s of sockets) s.destroy()
      await sleep(500)
    },
  }
}
