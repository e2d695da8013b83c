/**
 * A client that sends and never reads must not make the server buffer replies without end: the
 * session stops taking commands while its socket holds more than 64 KiB of unsent replies. And
 * commands that move no mail are limited per connection (max_junk_commands).
 */
import { once } from 'node:events'
import { connect, createServer as netServer, type Server, type Socket } from 'node:net'
import { Connection, definePlugin, OK } from '@postern/core'
import { afterEach, describe, expect, it } from 'vitest'
import { Session } from '../src/session.js'
import { readSettings } from '../src/settings.js'
import { SocketTransport } from '../src/socket-transport.js'
import { engine, type TestEngine, toData } from './helpers.js'

let e: TestEngine | undefined
let server: Server | undefined
const clients: Socket[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  if (server) await new Promise((r) => server!.close(r))
  server = undefined
  await e?.close()
  e = undefined
})

/** About 7 KB per HELP reply: replies outgrow the kernel's socket buffers after a few MB. */
const HELP_TEXT = Array.from({ length: 100 }, (_, i) => `help line ${i} ${'.'.repeat(60)}`)

/** Runs real sessions over TCP, keeping the server side of each socket for the test to inspect. */
async function listen(
  t: TestEngine,
  onSession: (session: Session, socket: Socket) => void,
  onEnd?: () => void,
): Promise<number> {
  const settings = readSettings(t.host.config.files)
  server = netServer((socket) => {
    const connection = new Connection({
      remoteIp: '127.0.0.1',
      remotePort: socket.remotePort ?? 0,
      localIp: '127.0.0.1',
      localPort: socket.localPort ?? 0,
    })
    const transport = new SocketTransport(socket, connection, undefined)
    const session = new Session({
      host: t.host,
      settings,
      connection,
      transport,
      input: transport.input,
      ...(onEnd ? { onEnd } : {}),
    })
    onSession(session, socket)
    void session.run()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  return typeof address === 'object' && address ? address.port : 0
}

/** Waits (bounded) until `done()` holds; the assertions are on the state, not on the time taken. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((r) => setTimeout(r, 10))
  if (!done()) throw new Error(`never happened: ${what}`)
}

describe('a client that never reads its replies', () => {
  it('stops the session reading: the unsent replies stay bounded, and all arrive once it reads', async () => {
    let helps = 0
    e = await engine({
      plugins: [
        definePlugin({
          name: 'long_help',
          core: '^1.0.0',
          hooks: {
            help: () => {
              helps++
              return { code: OK, message: HELP_TEXT }
            },
          },
        }),
      ],
      config: { max_junk_commands: '1000000\n' },
    })
    let serverSocket: Socket | undefined
    let session: Session | undefined
    const port = await listen(e, (s, socket) => {
      session = s
      serverSocket = socket
    })
    const client = connect(port, '127.0.0.1')
    clients.push(client)
    await once(client, 'connect')
    // Never read (until the end of the test): replies pile up in the kernel, then in the server.
    client.pause()
    const n = 3000 // ~21 MB of replies if every HELP were answered at once
    client.write('HELP\r\n'.repeat(n))
    await until(() => (serverSocket?.writableLength ?? 0) > 64 * 1024, 'replies backing up in the server')
    // Backlogged: no more commands are taken, so nothing more is written.
    const answered = helps
    const pending = serverSocket!.writableLength
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20))
    expect(helps).toBe(answered)
    expect(serverSocket!.writableLength).toBe(pending)
    // Bound: 64 KiB, plus one batch of held-back replies (16 KiB) and the reply that crossed it.
    expect(pending).toBeLessThan(64 * 1024 + 16 * 1024 + 8 * 1024)
    expect(answered).toBeLessThan(n)
    expect(session!.input.buffered).toBeLessThanOrEqual(n * 6)

    // The client reads now: every command is answered, in order, and the session is intact.
    let text = ''
    let replies = 0
    let bye = false
    client.setEncoding('latin1')
    client.on('data', (d: string) => {
      text += d
      // Count the last lines of complete HELP replies and drop what was counted.
      const end = text.lastIndexOf('\r\n')
      if (end < 0) return
      const complete = text.slice(0, end + 2)
      replies += complete.match(/^214 /gm)?.length ?? 0
      if (/^221 /m.test(complete)) bye = true
      text = text.slice(end + 2)
    })
    client.resume()
    await until(() => replies === n, `${n} HELP replies`)
    expect(helps).toBe(n)
    client.write('QUIT\r\n')
    await until(() => bye, 'the QUIT reply')
  }, 30_000)

  it('a client that stops reading and goes away ends its session', async () => {
    e = await engine({
      plugins: [
        definePlugin({
          name: 'long_help',
          core: '^1.0.0',
          hooks: { help: () => ({ code: OK, message: HELP_TEXT }) },
        }),
      ],
      config: { max_junk_commands: '1000000\n' },
    })
    let serverSocket: Socket | undefined
    let ended = false
    const port = await listen(
      e,
      (_s, socket) => {
        serverSocket = socket
      },
      () => {
        ended = true
      },
    )
    const client = connect(port, '127.0.0.1')
    clients.push(client)
    await once(client, 'connect')
    client.pause()
    client.write('HELP\r\n'.repeat(3000))
    await until(() => (serverSocket?.writableLength ?? 0) > 64 * 1024, 'replies backing up in the server')
    client.destroy()
    await until(() => ended, 'the session ending')
  }, 30_000)
})

describe('max_junk_commands', () => {
  it('NOOP, HELP, VRFY and RSET beyond the limit: 421 4.7.0 and close', async () => {
    e = await engine({ config: { max_junk_commands: '4\n' } })
    const s = await e.open()
    await s.greeting
    expect(await s.command('NOOP')).toBe('250 2.0.0 OK')
    expect(await s.command('HELP')).toMatch(/^214-/)
    expect(await s.command('VRFY x')).toMatch(/^252 /)
    expect(await s.command('RSET')).toBe('250 2.0.0 OK')
    expect(await s.command('NOOP')).toBe(
      '421 4.7.0 mx.test.example Too many commands without mail, closing connection',
    )
    await s.ended
  })

  it('is 100 by default, and the count starts again after an accepted message', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    s.send('RSET\r\n'.repeat(99))
    for (let i = 0; i < 99; i++) expect(await s.reply()).toBe('250 2.0.0 OK')
    await toData(s)
    expect(await s.command('Subject: x\r\n\r\nbody\r\n.')).toBe('250 2.0.0 Queued for test')
    s.send('RSET\r\n'.repeat(100))
    for (let i = 0; i < 100; i++) expect(await s.reply()).toBe('250 2.0.0 OK')
    expect(await s.command('RSET')).toMatch(/^421 4\.7\.0 /)
    await s.ended
  })
})
