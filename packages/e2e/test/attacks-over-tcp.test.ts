/**
 * The attack and smuggling tables of the security reference (part A), each sent over real TCP
 * to a real `postern` process (the built CLI, as an admin runs it), not to the in-memory session.
 * Every row checks the exact reply, that nothing extra was delivered into the Maildir, and that
 * the process still serves a fresh connection; at the end the process's memory is checked.
 *
 * Three processes, because the rows need configs that exclude each other:
 * - `main`: the defaults an admin gets, plus TLS and a short DATA rate window (slow-DATA row);
 * - `framing`: forbid_unauth_pipelining 0, and the smuggled transaction uses BDAT (DATA is a
 *   sync point), so nothing but the DATA framing stands between a fake end-of-data and a
 *   second delivered message; a control row shows that message does arrive after a real one;
 * - `greeter`: check_earlytalker, which holds every greeting (the others would wait for it).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import path from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import {
  RawClient,
  type Running,
  requirePeer,
  SMUGGLING_VARIANTS,
  selfSignedCert,
  startPostern,
  tempDir,
} from '@postern/test-peers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ME = 'mx.attacks.example'
const BANNER = `220 ${ME} ESMTP Postern ready`
const openssl = requirePeer('openssl')

interface Site {
  readonly running: Running
  /** Per-recipient Maildirs: mail/<local part>/new. */
  readonly mail: string
  readonly port: number
}

const MB = 1024 * 1024
const onLinux = process.platform === 'linux'

/** VmRSS and VmHWM (peak RSS) of a process, in bytes, from /proc. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]) * 1024
  return { rss: kb('VmRSS'), peak: kb('VmHWM') }
}

let root: string
/** `main`'s memory once it listens, before any row. */
let atStart: { rss: number; peak: number } | undefined
let main: Site
let framing: Site
let greeter: Site

/** Writes a config dir under `root` and starts `postern` on it. */
async function startSite(name: string, plugins: string[], files: Record<string, string>): Promise<Site> {
  const dir = path.join(root, name)
  const mail = path.join(dir, 'mail')
  const config = path.join(dir, 'config')
  mkdirSync(config, { recursive: true })
  const all: Record<string, string> = {
    // Each recipient gets its own Maildir: a smuggled transaction would show up in its folder.
    plugins: [...plugins, 'rcpt_ok', `queue/maildir ${mail}/%u`].join('\n'),
    me: ME,
    rcpthosts: 'example.com',
    spool_dir: path.join(dir, 'spool'),
    ...files,
  }
  for (const [file, text] of Object.entries(all)) writeFileSync(path.join(config, file), `${text}\n`)
  const running = await startPostern(['--config', config, '--listen', '127.0.0.1:0'])
  return { running, mail, port: running.port }
}

/** A self-signed certificate for localhost (openssl), for STARTTLS on `main`. */
function tlsFiles(dir: string): Record<string, string> {
  const made = selfSignedCert(dir)
  return made ? { tls_cert: made.cert, tls_key: made.key } : {}
}

beforeAll(async () => {
  root = tempDir('attacks')
  const tls = tlsFiles(path.join(root, 'tls'))
  ;[main, framing, greeter] = await Promise.all([
    // 1 byte/s stays under 10 B/s over a 3 s window: the slow-DATA row ends within seconds.
    startSite('main', [], { ...tls, data_rate_window: '3', data_min_rate: '10' }),
    startSite('framing', [], { forbid_unauth_pipelining: '0' }),
    startSite('greeter', ['check_earlytalker wait 1 reject_type perm'], {}),
  ])
  if (onLinux) atStart = memory(main.running.child.pid!)
}, 60_000)

afterAll(async () => {
  for (const site of [main, framing, greeter]) {
    if (site && site.running.child.exitCode === null) {
      site.running.child.kill('SIGTERM')
      await site.running.exited
    }
  }
  if (root) rmSync(root, { recursive: true, force: true })
})

/** Names of the messages delivered to one recipient's Maildir. */
function delivered(site: Site, user: string): string[] {
  try {
    return readdirSync(path.join(site.mail, user, 'new'))
  } catch {
    return []
  }
}

/** The messages delivered to `user` that are not among `before` (readdir order is no order). */
function addedSince(site: Site, user: string, before: readonly string[]): string[] {
  const dir = path.join(site.mail, user, 'new')
  return delivered(site, user)
    .filter((name) => !before.includes(name))
    .map((name) => readFileSync(path.join(dir, name), 'latin1'))
}

/** The process is alive, never logged a crashed session, and serves a new connection. */
async function stillServes(site: Site): Promise<void> {
  expect(site.running.child.exitCode).toBeNull()
  expect(site.running.output()).not.toMatch(/session failed|Internal error|Uncaught|TypeError|RangeError/)
  const c = await RawClient.open(site.port)
  expect(await c.reply()).toBe(BANNER)
  expect(await c.command('NOOP')).toBe('250 2.0.0 OK')
  expect(await c.command('QUIT')).toBe(`221 2.0.0 ${ME} closing connection. Have a wonderful day.`)
  expect(await c.reply()).toBeUndefined()
}

async function greeted(site: Site, helo = 'client.example'): Promise<RawClient> {
  const c = await RawClient.open(site.port)
  expect(await c.reply()).toBe(BANNER)
  expect(await c.command(`EHLO ${helo}`)).toMatch(new RegExp(`^250-${ME} Hello `))
  return c
}

/** Greeted, sender a@example.org, one recipient, DATA answered with 354. */
async function inData(site: Site, rcpt = 'b@example.com'): Promise<RawClient> {
  const c = await greeted(site)
  expect(await c.command('MAIL FROM:<a@example.org>')).toBe('250 2.1.0 <a@example.org>, sender OK')
  expect(await c.command(`RCPT TO:<${rcpt}>`)).toBe(`250 2.1.5 <${rcpt}>, recipient ok`)
  expect(await c.command('DATA')).toBe('354 End data with <CR><LF>.<CR><LF>')
  return c
}

/** Writes with the socket's backpressure, so the test never holds the payload in its own buffers. */
function writeDrained(socket: Socket, chunk: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return reject(new Error('socket closed by the server'))
    if (socket.write(chunk)) return resolve()
    socket.once('drain', resolve)
    socket.once('close', () => reject(new Error('socket closed by the server')))
  })
}

const QUEUED = /^250 2\.0\.0 Queued as \S+$/
const BARE = '550 5.5.2 Message contains bare CR or LF; lines must end with CRLF'
const SYNC = '554 5.5.0 Error: SMTP protocol synchronization'

/**
 * What a smuggler appends after a fake end-of-data: a second transaction to a recipient the
 * server accepts, so that a framing bug would deliver it into victim's Maildir.
 */
const FORGED = 'Subject: forged\r\n\r\nsmuggled\r\n'
const ENVELOPE = 'MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<victim@example.com>\r\n'
/** The reference's session: the smuggled message sent with DATA. */
const SMUGGLED_DATA = `${ENVELOPE}DATA\r\n${FORGED}`
/**
 * The same with BDAT, which may be pipelined: DATA is a sync point (bytes after it, before the
 * 354, are refused), so only this form leaves the framing as the one defence.
 */
const SMUGGLED_BDAT = `${ENVELOPE}BDAT ${FORGED.length} LAST\r\n${FORGED}`

const VARIANTS = SMUGGLING_VARIANTS

describe.each([
  ['with its defaults, smuggling with DATA', () => main, SMUGGLED_DATA],
  ['with forbid_unauth_pipelining 0, smuggling with BDAT (the framing alone)', () => framing, SMUGGLED_BDAT],
])('SMTP smuggling over TCP, postern %s', (_label, site, smuggled) => {
  it.each(VARIANTS)('%s in one write: one reply, no smuggled transaction', async (name, eod) => {
    const s = site()
    const before = delivered(s, 'b')
    const victims = delivered(s, 'victim').length
    const c = await inData(s)
    c.write(`Subject: x\r\n\r\nbody${eod}${smuggled}.\r\n`)
    if (name === 'nul before dot') {
      // Proper CRLFs throughout: "\0." is no dot line, so this is one ordinary message.
      expect(await c.reply()).toMatch(QUEUED)
      const added = addedSince(s, 'b', before)
      expect(added).toHaveLength(1)
      expect(added[0]).toMatch(/^Return-Path: <a@example\.org>\r\n/)
      expect(added[0]).toContain(`\r\nbody\r\n\0.\r\n${smuggled}`)
    } else {
      expect(await c.reply()).toBe(BARE)
      expect(delivered(s, 'b')).toEqual(before)
    }
    // The session is framed as before: the next reply is to our NOOP, nothing else is pending.
    expect(await c.command('NOOP')).toBe('250 2.0.0 OK')
    expect(c.unread).toBe('')
    expect(delivered(s, 'victim')).toHaveLength(victims)
    c.close()
    await stillServes(s)
  })
})

describe('the smuggling check can fail (control, postern with forbid_unauth_pipelining 0)', () => {
  it('a real end-of-data followed by the BDAT transaction does deliver it to victim', async () => {
    // Without this, "victim got nothing" could also mean the smuggled transaction never could.
    const victims = delivered(framing, 'victim')
    const c = await inData(framing)
    c.write(`Subject: x\r\n\r\nbody\r\n.\r\n${SMUGGLED_BDAT}`)
    expect(await c.reply()).toMatch(QUEUED)
    expect(await c.reply()).toBe('250 2.1.0 <ceo@bank.example>, sender OK')
    expect(await c.reply()).toBe('250 2.1.5 <victim@example.com>, recipient ok')
    expect(await c.reply()).toMatch(QUEUED)
    const added = addedSince(framing, 'victim', victims)
    expect(added).toHaveLength(1)
    expect(added[0]).toMatch(/^Return-Path: <ceo@bank\.example>\r\n/)
    c.close()
    await stillServes(framing)
  })
})

describe('SMTP smuggling by pipelining, postern with its defaults', () => {
  it('a valid end-of-data with a transaction in the same write: 554 5.5.0, close, nothing queued', async () => {
    const before = delivered(main, 'b').length
    const c = await inData(main)
    c.write(`Subject: x\r\n\r\nbody\r\n.\r\n${SMUGGLED_DATA}.\r\n`)
    expect(await c.reply()).toBe(SYNC)
    expect(await c.reply()).toBeUndefined()
    expect(delivered(main, 'b')).toHaveLength(before)
    expect(delivered(main, 'victim')).toHaveLength(0)
    await stillServes(main)
  })

  it('message bytes sent with DATA, before the 354: 554 5.5.0, close, nothing queued', async () => {
    const before = delivered(main, 'b').length
    const c = await greeted(main)
    await c.command('MAIL FROM:<a@example.org>')
    await c.command('RCPT TO:<b@example.com>')
    c.write('DATA\r\nSubject: eager\r\n\r\nx\r\n.\r\n')
    expect(await c.reply()).toBe(SYNC)
    expect(await c.reply()).toBeUndefined()
    expect(delivered(main, 'b')).toHaveLength(before)
    await stillServes(main)
  })

  it('a QUIT after the dot in the same write is harmless: 250, 221, one message', async () => {
    const before = delivered(main, 'b').length
    const c = await inData(main)
    c.write('Subject: quit after dot\r\n\r\nbody\r\n.\r\nQUIT\r\n')
    expect(await c.reply()).toMatch(QUEUED)
    expect(await c.reply()).toMatch(/^221 2\.0\.0 /)
    expect(delivered(main, 'b')).toHaveLength(before + 1)
    await stillServes(main)
  })
})

describe.skipIf(!openssl)('STARTTLS command injection (CVE-2011-0411) over TCP', () => {
  /** Sends `STARTTLS` plus `injected` in one write, then does the handshake. */
  async function injectAndUpgrade(injected: string): Promise<RawClient> {
    const c = await greeted(main, 'attacker.example')
    c.write(`STARTTLS\r\n${injected}`)
    expect(await c.reply()).toBe('220 2.0.0 Ready to start TLS')
    const secure = tlsConnect({ socket: c.socket, rejectUnauthorized: false })
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve)
      secure.once('error', reject)
    })
    return new RawClient(secure)
  }

  it('STARTTLS\\r\\nRSET\\r\\n in one write: the RSET is never answered', async () => {
    const t = await injectAndUpgrade('RSET\r\n')
    // The first reply inside TLS is to our own EHLO; a 250 2.0.0 for RSET would come first.
    const ehlo = await t.command('EHLO victim.example')
    expect(ehlo).toMatch(new RegExp(`^250-${ME} Hello victim\\.example \\[127\\.0\\.0\\.1\\]\r\n`))
    expect(ehlo).not.toContain('STARTTLS')
    expect(t.unread).toBe('')
    // The TLS session carries mail as usual.
    const before = delivered(main, 'b')
    expect(await t.command('MAIL FROM:<a@example.org>')).toBe('250 2.1.0 <a@example.org>, sender OK')
    expect(await t.command('RCPT TO:<b@example.com>')).toBe('250 2.1.5 <b@example.com>, recipient ok')
    expect(await t.command('DATA')).toBe('354 End data with <CR><LF>.<CR><LF>')
    expect(await t.command('Subject: over tls\r\n\r\nhello\r\n.')).toMatch(QUEUED)
    const added = addedSince(main, 'b', before)
    expect(added).toHaveLength(1)
    expect(added[0]).toMatch(/with ESMTPS \(TLSv1\.[23] /)
    t.close()
    await stillServes(main)
  })

  it('an injected EHLO and MAIL are discarded: after TLS the client must say hello again', async () => {
    const t = await injectAndUpgrade('EHLO evil.example\r\nMAIL FROM:<evil@example.org>\r\n')
    expect(await t.command('MAIL FROM:<a@example.org>')).toBe('503 5.5.1 Please say hello first')
    expect(t.unread).toBe('')
    t.close()
    await stillServes(main)
  })
})

describe('the attack table over TCP', () => {
  it('a 10,000-byte command line: 500 5.5.6, and the session goes on', async () => {
    const c = await RawClient.open(main.port)
    expect(await c.reply()).toBe(BANNER)
    expect(await c.command(`EHLO ${'a'.repeat(10_000)}`)).toBe('500 5.5.6 Line too long')
    expect(await c.command('EHLO ok.example')).toMatch(new RegExp(`^250-${ME} Hello ok\\.example `))
    c.close()
    await stillServes(main)
  })

  it('10 MB without CRLF on the command line: one 500 5.5.6 once it ends, and the session goes on', async () => {
    const c = await greeted(main)
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    await writeDrained(c.socket, 'EHLO ')
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) await writeDrained(c.socket, chunk)
    // The server answers nothing until the line ends (it discards as it reads).
    expect(c.unread).toBe('')
    c.write('\r\n')
    expect(await c.reply()).toBe('500 5.5.6 Line too long')
    expect(await c.command('NOOP')).toBe('250 2.0.0 OK')
    c.close()
    await stillServes(main)
  }, 30_000)

  it('10 MB without CRLF in a message body: stored as it streams and delivered whole', async () => {
    const before = delivered(main, 'big')
    const c = await inData(main, 'big@example.com')
    const chunk = Buffer.alloc(64 * 1024, 0x62)
    await writeDrained(c.socket, 'Subject: one long line\r\n\r\n')
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) await writeDrained(c.socket, chunk)
    c.write('\r\n.\r\n')
    expect(await c.reply(20_000)).toMatch(QUEUED)
    const added = addedSince(main, 'big', before)
    expect(added).toHaveLength(1)
    expect(added[0]).toContain(`\r\n\r\n${'b'.repeat(10 * 1024 * 1024)}\r\n`)
    c.close()
    await stillServes(main)
  }, 30_000)

  it('50,000 header lines: 552 5.3.4, nothing delivered, and the session goes on', async () => {
    const before = delivered(main, 'b').length
    const c = await inData(main)
    const lines: string[] = []
    for (let i = 0; i < 50_000; i++) lines.push(`X-H${i}: value\r\n`)
    await writeDrained(c.socket, `${lines.join('')}\r\nbody\r\n.\r\n`)
    expect(await c.reply()).toBe('552 5.3.4 Message header too big')
    expect(await c.command('NOOP')).toBe('250 2.0.0 OK')
    expect(delivered(main, 'b')).toHaveLength(before)
    c.close()
    await stillServes(main)
  }, 30_000)

  it('1,050 recipients: 1,000 × 250 2.1.5, then 452 4.5.3; DATA delivers to the first 1,000', async () => {
    const c = await greeted(main)
    expect(await c.command('MAIL FROM:<a@example.org>')).toBe('250 2.1.0 <a@example.org>, sender OK')
    let wire = ''
    for (let i = 0; i < 1050; i++) wire += `RCPT TO:<u${i}@example.com>\r\n`
    c.write(wire)
    for (let i = 0; i < 1000; i++) expect(await c.reply()).toBe(`250 2.1.5 <u${i}@example.com>, recipient ok`)
    // Recipient overshoot is no client error: it does not close the connection (max_errors).
    for (let i = 1000; i < 1050; i++) expect(await c.reply()).toBe('452 4.5.3 Too many recipients')
    expect(await c.command('DATA')).toBe('354 End data with <CR><LF>.<CR><LF>')
    expect(await c.command('Subject: many\r\n\r\nbody\r\n.')).toMatch(QUEUED)
    const folders = new Set(readdirSync(main.mail))
    for (let i = 0; i < 1000; i++) expect(delivered(main, `u${i}`), `u${i}`).toHaveLength(1)
    for (let i = 1000; i < 1050; i++) expect(folders.has(`u${i}`), `u${i}`).toBe(false)
    c.close()
    await stillServes(main)
  }, 30_000)

  it('DATA at one byte per second: 421 4.4.2 and close, nothing delivered', async () => {
    const before = delivered(main, 'b').length
    const c = await inData(main)
    const body = 'Subject: slow\r\n\r\nthis message trickles in one byte every second\r\n'
    let sent = 0
    const trickle = () => {
      if (!c.closed) c.write(body[sent++ % body.length]!)
    }
    trickle()
    const timer = setInterval(trickle, 1000)
    try {
      expect(await c.reply(30_000)).toBe(
        `421 4.4.2 ${ME} Timeout: data arriving too slowly, closing connection`,
      )
      expect(await c.reply()).toBeUndefined()
    } finally {
      clearInterval(timer)
    }
    expect(delivered(main, 'b')).toHaveLength(before)
    await stillServes(main)
  }, 40_000)

  it('NUL and bare LF in commands: 501 5.5.2 each, and the session goes on', async () => {
    const bad = '501 5.5.2 Syntax error: bad character in command'
    const c = await RawClient.open(main.port)
    expect(await c.reply()).toBe(BANNER)
    expect(await c.command('HELO a\0b')).toBe(bad)
    expect(await c.command('EHLO client.example')).toMatch(/^250-/)
    expect(await c.command('MAIL FROM:<a\0b@example.org>')).toBe(bad)
    c.write('NOOP\nNOOP\r\n')
    expect(await c.reply()).toBe(bad)
    expect(await c.command('MAIL FROM:<a@example.org>')).toBe('250 2.1.0 <a@example.org>, sender OK')
    expect(await c.command('RCPT TO:<b\0@example.com>')).toBe(bad)
    expect(await c.command('RSET')).toBe('250 2.0.0 OK')
    expect(c.unread).toBe('')
    c.close()
    await stillServes(main)
  })

  it('__proto__:, constructor: and other prototype names as headers and addresses: delivered intact', async () => {
    const c = await greeted(main, '__proto__')
    expect(await c.command('MAIL FROM:<__proto__@example.org>')).toBe(
      '250 2.1.0 <__proto__@example.org>, sender OK',
    )
    for (const user of ['constructor', '__proto__'])
      expect(await c.command(`RCPT TO:<${user}@example.com>`)).toBe(
        `250 2.1.5 <${user}@example.com>, recipient ok`,
      )
    expect(await c.command('DATA')).toBe('354 End data with <CR><LF>.<CR><LF>')
    const message =
      '__proto__: x\r\nconstructor: y\r\nprototype: z\r\nhasOwnProperty: w\r\ntoString: v\r\n' +
      'Subject: prototype keys\r\n\r\nbody\r\n'
    expect(await c.command(`${message}.`)).toMatch(QUEUED)
    for (const user of ['constructor', '__proto__']) {
      const added = addedSince(main, user, [])
      expect(added, user).toHaveLength(1)
      expect(added[0]).toMatch(/^Return-Path: <__proto__@example\.org>\r\nReceived: from __proto__ /)
      expect(added[0]!.endsWith(`\r\n${message}`)).toBe(true)
    }
    c.close()
    await stillServes(main)
  })
})

describe('talk before the banner (check_earlytalker wait 1 reject_type perm)', () => {
  it('a client that pipelines its whole conversation before the 220 gets 550 5.5.0 and is closed', async () => {
    const c = await RawClient.open(greeter.port)
    c.write(
      'EHLO hasty.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n' +
        'Subject: early\r\n\r\nbody\r\n.\r\nQUIT\r\n',
    )
    expect(await c.reply()).toBe('550 5.5.0 Connecting host started transmitting before SMTP greeting')
    expect(await c.reply()).toBeUndefined()
    expect(delivered(greeter, 'b')).toHaveLength(0)
  })

  it('a client that waits for the banner is served, and the process is unharmed', async () => {
    const c = await RawClient.open(greeter.port)
    expect(await c.reply()).toBe(BANNER)
    expect(await c.command('EHLO patient.example')).toMatch(new RegExp(`^250-${ME} Hello patient\\.example `))
    expect(await c.command('QUIT')).toMatch(/^221 2\.0\.0 /)
    await stillServes(greeter)
  })
})

describe('memory after the table', () => {
  it.skipIf(!onLinux)(
    'the process that took the 10 MB lines, 50,000 headers and 1,050 recipients stayed bounded',
    () => {
      const { rss, peak } = memory(main.running.child.pid!)
      // The peak (VmHWM) covers the whole run, not just now: nothing was ever held whole.
      expect(peak).toBeLessThan(250 * MB)
      expect(rss).toBeLessThan(250 * MB)
      // Generous: the growth was about 20 MB when this test was written.
      expect(peak - atStart!.peak).toBeLessThan(128 * MB)
      // Every transaction ended, so no spool file may be left behind.
      expect(readdirSync(path.join(root, 'main', 'spool'))).toEqual([])
    },
  )
})
