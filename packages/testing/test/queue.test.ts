import { DENYSOFT, definePlugin, OK } from '@postern/core'
import { expect, it } from 'vitest'
import { acceptRecipients, openSession, runQueue } from '../src/index.js'

/** Keeps the envelope and message it was given; waits for the client to go away when told to. */
const seen: string[] = []
const keep = definePlugin({
  name: 'queue/keep',
  core: '^1.0.0',
  hooks: {
    async queue(ctx) {
      const tx = ctx.transaction
      if (ctx.plugin.args.bool('hang', false)) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
        return { code: DENYSOFT, message: ['Client went away'] }
      }
      const chunks: Buffer[] = []
      for await (const c of tx.body!.stream('message')) chunks.push(c as Buffer)
      seen.push(
        `${ctx.connection.remoteIp} ${tx.sender} ${tx.recipients.join(',')}\n${Buffer.concat(chunks)}`,
      )
      ctx.log.info('kept')
      return { code: OK, message: ['Kept'] }
    },
  },
})

it('runQueue hands the plugin one transaction with its message and returns the verdict and logs', async () => {
  const { result, logs } = await runQueue(keep, {
    connection: { remoteIp: '192.0.2.7' },
    transaction: { sender: 'a@example.org', recipients: ['b@example.com'], message: 'Subject: x\n\nhi\n' },
  })
  expect(result).toMatchObject({ code: OK, message: ['Kept'] })
  expect(seen.at(-1)).toBe('192.0.2.7 <a@example.org> <b@example.com>\nSubject: x\r\n\r\nhi\r\n')
  expect(logs.some((e) => e.message === 'kept')).toBe(true)
})

it('runQueue lets the test disconnect the client while the hook runs', async () => {
  const { result } = await runQueue(keep, {
    args: 'hang yes',
    transaction: { sender: 'a@example.org', recipients: ['b@example.com'], message: 'x\n' },
    during: (disconnect) => setTimeout(disconnect, 10),
  })
  expect(result).toMatchObject({ code: DENYSOFT, message: ['Client went away'] })
})

it('acceptRecipients lets a whole transaction reach the queue plugin', async () => {
  const s = await openSession({ plugins: [acceptRecipients, keep] })
  try {
    await s.command('EHLO client.example')
    await s.command('MAIL FROM:<a@example.org>')
    expect(await s.command('RCPT TO:<anyone@anywhere.example>')).toBe(
      '250 2.1.5 <anyone@anywhere.example>, recipient ok',
    )
    await s.command('DATA')
    expect(await s.command('Subject: t\r\n\r\nhello\r\n.')).toBe('250 2.0.0 Kept')
  } finally {
    await s.close()
  }
})
