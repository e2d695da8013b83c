import { connect } from 'node:net'
import { definePlugin, deny, OK } from '@postern/core'
import { afterEach, describe, expect, it } from 'vitest'
import { openSession, startServer, type TestServer, type TestSmtpSession } from '../src/index.js'

const policy = definePlugin({
  name: 'policy',
  core: '^1.0.0',
  hooks: {
    rcpt: (_ctx, rcpt) => (rcpt.host === 'example.com' ? { code: OK } : deny('Relaying denied', '5.7.1')),
    queue: () => ({ code: OK, message: 'Kept' }),
  },
})

let s: TestSmtpSession | undefined
let srv: TestServer | undefined
afterEach(async () => {
  await s?.close()
  await srv?.close()
  s = undefined
  srv = undefined
})

describe('the engine in tests', () => {
  it('openSession: a whole conversation in memory', async () => {
    s = await openSession({ plugins: [policy] })
    expect(await s.greeting).toBe('220 mx.test.example ESMTP Postern ready')
    await s.command('EHLO client.example')
    expect(await s.command('MAIL FROM:<a@example.org>')).toBe('250 2.1.0 <a@example.org>, sender OK')
    expect(await s.command('RCPT TO:<x@elsewhere.example>')).toBe('550 5.7.1 Relaying denied')
    expect(await s.command('RCPT TO:<b@example.com>')).toBe('250 2.1.5 <b@example.com>, recipient ok')
    await s.command('DATA')
    expect(await s.command('Subject: t\r\n\r\nhello\r\n.')).toBe('250 2.0.0 Kept')
  })

  it('startServer: a real socket on a free port', async () => {
    srv = await startServer({ plugins: [policy] })
    const greeting = await new Promise<string>((resolve, reject) => {
      const c = connect(srv!.port, '127.0.0.1')
      c.once('data', (d) => {
        resolve(d.toString())
        c.destroy()
      })
      c.once('error', reject)
    })
    expect(greeting).toBe('220 mx.test.example ESMTP Postern ready\r\n')
  })
})
