/**
 * Protocol hygiene through the engine on a real socket: an early talker is refused, a polite
 * client is not.
 */
import checkEarlytalker from '@postern/check-earlytalker'
import queueDiscard from '@postern/queue-discard'
import rcptOk from '@postern/rcpt-ok'
import { RawClient } from '@postern/test-peers'
import { startServer, type TestServer } from '@postern/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let server: TestServer | undefined

beforeAll(async () => {
  server = await startServer({
    plugins: [checkEarlytalker, rcptOk, queueDiscard],
    pluginLines: ['check_earlytalker wait 0.3 reject_type perm', 'rcpt_ok', 'queue/discard'],
    config: { rcpthosts: 'example.com\n' },
  })
})

afterAll(async () => {
  await server?.close()
})

describe('protocol hygiene on a real socket', () => {
  it('check_earlytalker refuses a client that talks before the banner', async () => {
    const c = await RawClient.open(server!.port)
    c.write('EHLO hasty.example\r\n')
    const first = await c.reply()
    expect(first).toMatch(/^5\d\d 5\.\d\.\d /)
    c.close()
  })

  it('a client that waits for the banner is served', async () => {
    const c = await RawClient.open(server!.port)
    expect(await c.reply()).toMatch(/^220 /)
    expect(await c.command('EHLO patient.example')).toMatch(/^250-/)
    c.close()
  })
})
