/**
 * The README's tutorial, steps 1 and 3–5, as they are written there (step 6 needs nodemailer,
 * which this package does not depend on; mock-plugin.test.ts runs startServer with a raw client).
 */
import { DENY, DENYSOFT, definePlugin, OK, ok } from '@postern/core'
import { expect, it } from 'vitest'
import { acceptRecipients, loadPluginForTest, mockPlugin, openSession } from '../src/index.js'

const plugin = definePlugin({
  name: 'badwords',
  core: '^1.0.0',
  async setup({ config }) {
    const words = await config.parsed('badwords', (lines) => lines.map((l) => l.value.toLowerCase()))
    return {
      async rcpt(ctx, rcpt) {
        if ((await words.get()).includes(rcpt.user.toLowerCase())) return ctx.reject('No such user', '5.1.1')
      },
    }
  },
})

it('refuses listed users', async () => {
  const h = await loadPluginForTest(plugin, { config: { badwords: ['spam'] } }) // closed when the test ends
  const r = await h.rcpt('spam@example.com')
  expect(r).toMatchObject({ code: DENY, enhanced: '5.1.1', plugin: 'badwords' })
  expect((await h.rcpt('alice@example.com')).code).not.toBe(DENY)
})

it('defers when told to, in one session', async () => {
  const h = await loadPluginForTest(plugin, { args: 'reject_type temp', config: { badwords: 'spam\n' } })
  const session = h.session({ remoteIp: '192.0.2.1' })
  await h.ehlo('client.example', { session })
  await h.mail('alice@example.org', { session })
  expect((await h.rcpt('spam@example.com', { session })).code).toBe(DENYSOFT)
  expect(session.transaction?.recipients).toEqual([]) // refused: not added
})

it('leaves recipients it does not know to the plugins after it', async () => {
  const after = mockPlugin('mock_after', { rcpt: ok() })
  const h = await loadPluginForTest(plugin, { config: { badwords: 'spam\n' }, after: [after] })
  expect(await h.rcpt('alice@example.com')).toMatchObject({ code: OK, plugin: 'mock_after' })
  expect(await h.rcpt('spam@example.com')).toMatchObject({ code: DENY, plugin: 'badwords' })
  expect(after.callsOf('rcpt').map(([rcpt]) => rcpt.user)).toEqual(['alice'])
})

it('answers RCPT as a client sees it', async () => {
  const s = await openSession({ plugins: [plugin, acceptRecipients], config: { badwords: 'spam\n' } })
  try {
    expect(await s.greeting).toBe('220 mx.test.example ESMTP Postern ready')
    await s.command('EHLO client.example')
    await s.command('MAIL FROM:<alice@example.org>')
    expect(await s.command('RCPT TO:<spam@example.com>')).toBe('550 5.1.1 No such user')
  } finally {
    await s.close()
  }
})
