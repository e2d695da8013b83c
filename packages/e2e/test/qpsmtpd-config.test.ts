/**
 * A qpsmtpd config directory, written as a qpsmtpd admin has it, runs under `postern`
 * unchanged: the same plugin names, arguments and config files.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { RawClient, type Running, startPostern, tempDir } from '@postern/test-peers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { swaks, swaksPath } from './swaks.js'

const site = tempDir('qpsmtpd-site')
const maildir = path.join(site, 'Maildir')
const qpsmtpdConfig: Record<string, string> = {
  plugins: `# qpsmtpd config/plugins, unchanged
check_relay
check_badmailfrom
check_badrcptto
check_spamhelo
count_unrecognized_commands 4
check_basicheaders
rcpt_ok
queue/maildir ${maildir}
`,
  me: 'mx.example.com\n',
  rcpthosts: '# domains we accept mail for\nexample.com\n',
  relayclients: '# hosts allowed to relay\n127.0.0.2\n',
  badmailfrom: 'spammer@bad.example\n@evil.example\n',
  badrcptto: 'nobody@example.com\n',
  badhelo: 'bad.helo.example\n',
}

let postern: Running | undefined

beforeAll(async () => {
  const dir = path.join(site, 'config')
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of Object.entries(qpsmtpdConfig)) writeFileSync(path.join(dir, name), text)
  postern = await startPostern(['--config', dir, '--listen', '127.0.0.1:0'])
}, 30_000)

afterAll(async () => {
  postern?.child.kill('SIGTERM')
  await postern?.exited
  rmSync(site, { recursive: true, force: true })
})

const send = (args: string[], from = '127.0.0.1') =>
  swaks([
    '--server',
    `127.0.0.1:${postern!.port}`,
    '--local-interface',
    from,
    '--helo',
    'client.example.org',
    ...args,
  ])

const delivered = () => {
  try {
    return readdirSync(path.join(maildir, 'new')).length
  } catch {
    return 0
  }
}

describe.skipIf(!swaksPath)('a qpsmtpd config dir under postern, unchanged', () => {
  it('delivers local mail into the Maildir', async () => {
    const before = delivered()
    const r = await send(['--from', 'friend@example.org', '--to', 'user@example.com'])
    expect(r.out).toMatch(/<- {2}250 2\.0\.0 Queued as /)
    expect(delivered()).toBe(before + 1)
  })

  it('refuses relaying for strangers (rcpt_ok) and allows it for relayclients (check_relay)', async () => {
    const stranger = await send(['--from', 'friend@example.org', '--to', 'someone@elsewhere.example'])
    expect(stranger.out).toMatch(/<\*\* 550 5\.7\.1 /)
    const relay = await send(
      ['--from', 'friend@example.org', '--to', 'someone@elsewhere.example'],
      '127.0.0.2',
    )
    expect(relay.code).toBe(0)
  })

  it('holds a badmailfrom refusal until RCPT', async () => {
    const r = await send(['--from', 'spammer@bad.example', '--to', 'user@example.com'])
    expect(r.out).toMatch(/<- {2}250 2\.1\.0 <spammer@bad\.example>/)
    expect(r.out).toMatch(/RCPT TO:<user@example\.com>\n<\*\* 55\d 5\.7\.1 /)
    const host = await send(['--from', 'anyone@evil.example', '--to', 'user@example.com'])
    expect(host.out).toMatch(/<\*\* 55\d /)
  })

  it('refuses badrcptto recipients', async () => {
    const r = await send(['--from', 'friend@example.org', '--to', 'nobody@example.com'])
    expect(r.out).toMatch(/RCPT TO:<nobody@example\.com>\n<\*\* 55\d 5\.\d\.\d /)
  })

  it('refuses a badhelo name', async () => {
    const r = await swaks([
      '--server',
      `127.0.0.1:${postern!.port}`,
      '--helo',
      'bad.helo.example',
      '--from',
      'a@example.org',
      '--to',
      'user@example.com',
    ])
    // check_spamhelo refuses at the greeting itself (no deferral by default): EHLO, then
    // swaks's fallback HELO, each get the 550, and the client never reaches MAIL.
    const refusal = '<** 550 5.7.1 I do not believe you are bad.helo.example.'
    expect(r.out).toContain(` -> EHLO bad.helo.example\n${refusal}\n`)
    expect(r.out).toContain(` -> HELO bad.helo.example\n${refusal}\n`)
    expect(r.out).not.toMatch(/MAIL FROM/)
    expect(r.code).toBe(22) // swaks: the HELO stage failed
  })

  it('refuses a message without a Date header (check_basicheaders)', async () => {
    const r = await send([
      '--from',
      'friend@example.org',
      '--to',
      'user@example.com',
      '--data',
      'From: friend@example.org\nSubject: no date\n\nbody\n',
    ])
    expect(r.out).toMatch(/<\*\* 5\d\d 5\.\d\.\d /)
  })

  it('disconnects after 4 unrecognized commands (521)', async () => {
    const c = await RawClient.open(postern!.port)
    await c.reply()
    const replies: (string | undefined)[] = []
    for (let i = 0; i < 4; i++) replies.push(await c.command(`XYZZY${i}`))
    expect(replies.slice(0, 3).every((r) => r?.startsWith('500'))).toBe(true)
    expect(replies[3]).toMatch(/^521 /)
    // 521 means the server closes: no further reply, and the socket ends from its side.
    expect(await c.reply()).toBeUndefined()
    expect(c.closed).toBe(true)
    c.close()
  })
})
