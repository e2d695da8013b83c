/**
 * STARTTLS, certificate checks and AUTH against a small SMTP server of our own (smtp-sink has no
 * STARTTLS), with a throwaway CA made by openssl.
 */
import { rmSync } from 'node:fs'
import { DENY, DENYSOFT, OK } from '@postern/core'
import { tempDir } from '@postern/test-peers'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { makeCerts, type TestCerts } from './certs.js'
import { runQueue } from './harness.js'
import { startTestServer, type TestServer, type TestServerOptions } from './smtp-server.js'

let dir: string
let certs: TestCerts | undefined
beforeAll(() => {
  dir = tempDir('forward-tls')
  certs = makeCerts(dir)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const servers: TestServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function server(options: Omit<TestServerOptions, 'tls'> & { tls?: boolean }): Promise<TestServer> {
  const { tls, ...rest } = options
  const s = await startTestServer({
    ...rest,
    ...(tls ? { tls: { cert: certs!.cert, key: certs!.key } } : {}),
  })
  servers.push(s)
  return s
}

const users = { alice: 'pass word' }
const auth = { smtp_forward_auth: '127.0.0.1 alice pass word\n' }

describe('queue/smtp-forward: STARTTLS and AUTH', () => {
  it('upgrades with STARTTLS, verifies the certificate against tls_ca, then AUTH PLAIN', async (t) => {
    if (!certs) return t.skip('openssl is not installed')
    const s = await server({ tls: true, users })
    const { result } = await runQueue(`127.0.0.1:${s.port} tls_ca ${certs.caFile}`, {
      recipients: ['a@example.com'],
      config: auth,
      message: 'Subject: secret\n\nover tls\n',
    })
    expect(result).toMatchObject({ code: OK, message: ['Forwarded: Ok: queued as TEST1'] })
    expect(s.received).toEqual([
      {
        tls: true,
        authUser: 'alice',
        authMechanism: 'PLAIN',
        mail: 'FROM:<sender@example.org> SIZE=29',
        rcpts: ['<a@example.com>'],
        data: 'Subject: secret\r\n\r\nover tls\r\n',
      },
    ])
  })

  it('AUTH LOGIN when asked for', async (t) => {
    if (!certs) return t.skip('openssl is not installed')
    const s = await server({ tls: true, users })
    const { result } = await runQueue(`127.0.0.1:${s.port} tls_ca ${certs.caFile} auth_mech login`, {
      recipients: ['a@example.com'],
      config: auth,
    })
    expect(result.code).toBe(OK)
    expect(s.received[0]).toMatchObject({ tls: true, authUser: 'alice', authMechanism: 'LOGIN' })
  })

  it('verification is on by default: an unknown CA fails with DENYSOFT 4.7.5 and sends nothing', async (t) => {
    if (!certs) return t.skip('openssl is not installed')
    const s = await server({ tls: true, users })
    const { result, logs } = await runQueue(`127.0.0.1:${s.port}`, {
      recipients: ['a@example.com'],
      config: auth,
    })
    expect(result).toMatchObject({ code: DENYSOFT, enhanced: '4.7.5' })
    expect(logs.some((l) => /TLS handshake failed/.test(l.message))).toBe(true)
    expect(s.received).toEqual([])
  })

  it('tls_verify no accepts any certificate (for tests and private links)', async (t) => {
    if (!certs) return t.skip('openssl is not installed')
    const s = await server({ tls: true, users })
    const { result } = await runQueue(`127.0.0.1:${s.port} tls_verify no tls require`, {
      recipients: ['a@example.com'],
      config: auth,
    })
    expect(result.code).toBe(OK)
    expect(s.received[0]?.tls).toBe(true)
  })

  it('refuses bytes sent after the STARTTLS 220 (response injection): DENYSOFT, nothing sent', async (t) => {
    if (!certs) return t.skip('openssl is not installed')
    const s = await server({ tls: true, injectAfterStartTls: '250 injected\r\n' })
    const { result, logs } = await runQueue(`127.0.0.1:${s.port} tls_ca ${certs.caFile}`, {
      recipients: ['a@example.com'],
    })
    expect(result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.2' })
    expect(logs.some((l) => /after its STARTTLS reply/.test(l.message))).toBe(true)
    expect(s.received).toEqual([])
  })

  it('a wrong password is our configuration problem: DENYSOFT 4.7.0, not the server’s 535', async (t) => {
    if (!certs) return t.skip('openssl is not installed')
    const s = await server({ tls: true, users })
    const { result, logs } = await runQueue(`127.0.0.1:${s.port} tls_ca ${certs.caFile}`, {
      recipients: ['a@example.com'],
      config: { smtp_forward_auth: '127.0.0.1 alice wrong\n' },
    })
    expect(result).toMatchObject({ code: DENYSOFT, enhanced: '4.7.0' })
    expect(logs.some((l) => l.message.includes('535 5.7.8'))).toBe(true)
    expect(logs.some((l) => l.message.includes('wrong'))).toBe(false)
  })
})

describe('queue/smtp-forward: per-recipient refusals and stalls', () => {
  it('one refused recipient: DENY with the next hop’s reply, nothing sent for the others', async () => {
    const s = await server({
      refuse: { '<b@example.com>': '550 5.1.1 <b@example.com>: Recipient address rejected' },
    })
    const { result } = await runQueue(`127.0.0.1:${s.port}`, {
      recipients: ['a@example.com', 'b@example.com'],
    })
    expect(result).toMatchObject({ code: DENY, reply: 550, enhanced: '5.1.1' })
    expect(result.message).toEqual([
      '<b@example.com>: Recipient address rejected',
      '<a@example.com>: not sent (another recipient failed)',
      '<b@example.com>: 550 5.1.1 <b@example.com>: Recipient address rejected',
    ])
    expect(s.received).toEqual([])
  })

  it('a server that never greets: DENYSOFT 4.4.2 before the hook deadline, connection closed', async () => {
    const s = await server({ silent: true })
    const { result } = await runQueue(`127.0.0.1:${s.port} hook_timeout 1`, { recipients: ['a@example.com'] })
    expect(result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.2' })
    expect(result.failure).toBeUndefined()
    while (s.closed < 1) await new Promise((r) => setTimeout(r, 10))
  })

  it('the client going away (ctx.signal) ends the conversation', async () => {
    const s = await server({ silent: true })
    const { result } = await runQueue(`127.0.0.1:${s.port}`, {
      recipients: ['a@example.com'],
      during: (disconnect) => {
        const wait = () => (s.connections ? disconnect() : setTimeout(wait, 10))
        wait()
      },
    })
    expect(result.code).toBe(DENYSOFT)
    while (s.closed < 1) await new Promise((r) => setTimeout(r, 10))
  })
})
