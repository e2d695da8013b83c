/** queue/smtp-forward against Postfix's smtp-sink, a real SMTP server. */
import { DENY, DENYSOFT, OK } from '@postern/core'
import {
  freePort,
  type SmtpSink,
  smtpSinkBinary,
  startSmtpSink,
  swaks,
  swaksBinary,
} from '@postern/test-peers'
import { acceptRecipients, loadPlugin, loadPluginForTest, startServer } from '@postern/testing'
import { afterEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'
import { runQueue } from './harness.js'

const sinks: SmtpSink[] = []
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.stop()))
})

const missing = smtpSinkBinary()
  ? ''
  : 'smtp-sink (Debian postfix) is not installed: scripts/peers/install.sh'

async function sink(...args: string[]): Promise<SmtpSink> {
  const s = await startSmtpSink({ args })
  if (!s) throw new Error('smtp-sink vanished')
  sinks.push(s)
  return s
}

/** What smtp-sink wrote for one transaction, split into its own headers and the message. */
function parseDump(dump: string) {
  const mailArgs = /^X-Mail-Args: (.*)$/m.exec(dump)?.[1]
  const rcpts = [...dump.matchAll(/^X-Rcpt-Args: (.*)$/gm)].map((m) => m[1])
  // smtp-sink's Received header ends its part; the message follows.
  const start = dump.search(/^\t[A-Z][a-z]{2}, .*\n/m)
  const message = dump.slice(dump.indexOf('\n', start) + 1)
  return { mailArgs, rcpts, message }
}

describe('queue/smtp-forward', () => {
  it('declares the same core range at run time as in its peerDependencies', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('refuses to load without a relay, with unknown arguments or bad values; core options anywhere', async () => {
    await expect(loadPlugin(plugin)).rejects.toThrow(/needs a relay/)
    await expect(loadPlugin(plugin, { args: 'relay.example tls_verfy no' })).rejects.toThrow(
      /unknown argument/,
    )
    await expect(loadPlugin(plugin, { args: 'relay.example tls maybe' })).rejects.toThrow(
      /tls must be one of/,
    )
    for (const args of [
      'relay.example loglevel 7',
      'host relay.example loglevel 7',
      'relay.example 2525 on_error continue',
    ])
      await loadPluginForTest(plugin, { args })
    await expect(loadPlugin(plugin, { config: { smtproutes: 'example.com:' } })).rejects.toThrow(
      /MX delivery/,
    )
  })

  describe('into smtp-sink', () => {
    it('relays with the current header, canonical line ends and intact dot lines; OK after its 250', async (t) => {
      if (missing) return t.skip(missing)
      const s = await sink()
      const { result } = await runQueue(`127.0.0.1:${s.port}`, {
        recipients: ['a@example.com', 'b@example.net'],
        message: Buffer.from('Subject: relayed\r\n\r\nfirst\r\n.dot line\r\nbare\ncr\rend\r\n..two dots\r\n'),
      })
      expect(result).toMatchObject({ code: OK, enhanced: '2.0.0' })
      expect(result.message).toEqual([expect.stringMatching(/^Forwarded: Ok/)])
      const [dump, ...more] = await s.waitForMessages(1)
      expect(more).toEqual([])
      const d = parseDump(dump!)
      expect(d.mailArgs).toMatch(/^<sender@example\.org>/)
      expect(d.rcpts).toEqual(['<a@example.com>', '<b@example.net>'])
      // smtp-sink removed the dot-stuffing and writes LF: every line arrived as one line.
      expect(d.message).toBe('Subject: relayed\n\nfirst\n.dot line\nbare\ncr\nend\n..two dots\n\n')
    })

    it('relays without pipelining too', async (t) => {
      if (missing) return t.skip(missing)
      const s = await sink()
      const { result } = await runQueue(`127.0.0.1 ${s.port} pipelining no`, {
        recipients: ['a@example.com'],
      })
      expect(result.code).toBe(OK)
      expect(await s.waitForMessages(1)).toHaveLength(1)
    })

    const refusals: [string, string[], number, string, string][] = [
      [
        'RCPT, permanent',
        ['-f', 'RCPT', '-B', '550 5.1.1 No such user here'],
        DENY,
        '550 5.1.1',
        'No such user here',
      ],
      [
        'RCPT, temporary',
        ['-r', 'RCPT', '-b', '452 4.2.2 Mailbox full'],
        DENYSOFT,
        '452 4.2.2',
        'Mailbox full',
      ],
      ['MAIL', ['-f', 'MAIL', '-B', '553 5.7.1 Sender rejected'], DENY, '553 5.7.1', 'Sender rejected'],
      ['DATA', ['-f', 'DATA', '-B', '554 5.7.1 No DATA for you'], DENY, '554 5.7.1', 'No DATA for you'],
      [
        'the final dot',
        ['-f', '.', '-B', '554 5.7.1 Content rejected'],
        DENY,
        '554 5.7.1',
        'Content rejected',
      ],
      ['the final dot, temporary', ['-r', '.'], DENYSOFT, '450 4.3.0', 'Error: command failed'],
    ]
    for (const [what, args, code, reply, text] of refusals) {
      it(`passes a refusal at ${what} through with its code and text`, async (t) => {
        if (missing) return t.skip(missing)
        const s = await sink(...args)
        const { result } = await runQueue(`127.0.0.1:${s.port}`, { recipients: ['a@example.com'] })
        const [num, enhanced] = reply.split(' ')
        expect(result).toMatchObject({ code, reply: Number(num), enhanced, message: [text] })
        if (what !== 'the final dot' && what !== 'the final dot, temporary') expect(s.messages()).toEqual([])
      })
    }

    it('a next hop that hangs up after the message: DENYSOFT 4.4.2 (maybe delivered, never lost)', async (t) => {
      if (missing) return t.skip(missing)
      const s = await sink('-q', '.')
      const { result } = await runQueue(`127.0.0.1:${s.port}`, { recipients: ['a@example.com'] })
      expect(result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.2' })
    })

    it('a next hop that is down: DENYSOFT 4.4.1', async () => {
      const port = await freePort()
      const { result, logs } = await runQueue(`127.0.0.1:${port}`, { recipients: ['a@example.com'] })
      expect(result).toMatchObject({ code: DENYSOFT, reply: 451, enhanced: '4.4.1' })
      expect(result.message).toEqual(['Unable to connect to the smarthost, try again later'])
      expect(
        logs.some((l) => l.message.includes(`127.0.0.1:${port}`) && l.message.includes('ECONNREFUSED')),
      ).toBe(true)
    })

    it('requires TLS when told to: smtp-sink has no STARTTLS → DENYSOFT 4.7.4, nothing sent', async (t) => {
      if (missing) return t.skip(missing)
      const s = await sink()
      const { result } = await runQueue(`127.0.0.1:${s.port} tls require`, { recipients: ['a@example.com'] })
      expect(result).toMatchObject({ code: DENYSOFT, enhanced: '4.7.4' })
      expect(s.messages()).toEqual([])
    })

    it('AUTH: sent only over TLS unless allowed; smtp-sink accepts it when allowed', async (t) => {
      if (missing) return t.skip(missing)
      const s = await sink()
      const config = { smtp_forward_auth: `127.0.0.1 alice secret\n` }
      const refused = await runQueue(`127.0.0.1:${s.port}`, { recipients: ['a@example.com'], config })
      expect(refused.result).toMatchObject({ code: DENYSOFT, enhanced: '4.7.0' })
      expect(s.messages()).toEqual([])
      const allowed = await runQueue(`127.0.0.1:${s.port} auth_without_tls yes`, {
        recipients: ['a@example.com'],
        config,
      })
      expect(allowed.result.code).toBe(OK)
      expect(await s.waitForMessages(1)).toHaveLength(1)
      const noAuth = await sink('-a')
      const offered = await runQueue(`127.0.0.1:${noAuth.port} auth_without_tls yes`, {
        recipients: ['a@example.com'],
        config,
      })
      expect(offered.result).toMatchObject({ code: DENYSOFT, enhanced: '4.7.0' })
    })
  })

  describe('per-domain routes', () => {
    it('one connection per relay; every relay gets only its recipients', async (t) => {
      if (missing) return t.skip(missing)
      const [a, b] = [await sink(), await sink()]
      const config = { smtproutes: `a.example 127.0.0.1:${a.port}\n.b.example:127.0.0.1:${b.port}\n` }
      const { result } = await runQueue('', {
        recipients: ['x@a.example', 'y@sub.b.example', 'z@a.example'],
        config,
      })
      expect(result).toMatchObject({ code: OK, message: ['Forwarded to 2 next hops'] })
      expect(parseDump((await a.waitForMessages(1))[0]!).rcpts).toEqual(['<x@a.example>', '<z@a.example>'])
      expect(parseDump((await b.waitForMessages(1))[0]!).rcpts).toEqual(['<y@sub.b.example>'])
    })

    it('a refusal on one relay sends the message nowhere (no duplicates on retry)', async (t) => {
      if (missing) return t.skip(missing)
      const [a, b] = [await sink(), await sink('-f', 'RCPT', '-B', '550 5.1.1 Unknown here')]
      const config = { smtproutes: `a.example 127.0.0.1:${a.port}\nb.example 127.0.0.1:${b.port}\n` }
      const { result } = await runQueue('', { recipients: ['x@a.example', 'y@b.example'], config })
      expect(result).toMatchObject({ code: DENY, reply: 550, enhanced: '5.1.1' })
      expect(result.message).toEqual([
        'Unknown here',
        '<x@a.example>: not sent (another recipient failed)',
        '<y@b.example>: 550 5.1.1 Unknown here',
      ])
      expect(a.messages()).toEqual([])
    })

    it('a relay that is down: DENYSOFT 4.4.1, the others get nothing', async (t) => {
      if (missing) return t.skip(missing)
      const a = await sink()
      const down = await freePort()
      const config = { smtproutes: `a.example 127.0.0.1:${a.port}\n:127.0.0.1:${down}\n` }
      const { result } = await runQueue('', { recipients: ['x@a.example', 'y@elsewhere.example'], config })
      expect(result).toMatchObject({ code: DENYSOFT, enhanced: '4.4.1' })
      expect(a.messages()).toEqual([])
    })

    it('a recipient without a route: DENYSOFT 4.3.5 (a configuration gap)', async () => {
      const config = { smtproutes: 'a.example 127.0.0.1:9\n' }
      const { result } = await runQueue('', { recipients: ['y@b.example'], config })
      expect(result).toMatchObject({
        code: DENYSOFT,
        enhanced: '4.3.5',
        message: ['No route configured for b.example'],
      })
    })
  })

  it('end to end: swaks → Postern → smtp-sink, and a refusal reaches swaks with the next hop’s code', async (t) => {
    if (missing) return t.skip(missing)
    if (!swaksBinary()) return t.skip('swaks is not installed: scripts/peers/install.sh')
    const good = await sink()
    const bad = await sink('-f', 'RCPT', '-B', '550 5.1.1 No such user here')
    for (const [s, expectOk] of [
      [good, true],
      [bad, false],
    ] as const) {
      const p = await startServer({
        plugins: [acceptRecipients, plugin],
        pluginLines: [acceptRecipients.name, `queue/smtp-forward 127.0.0.1:${s.port}`],
        config: { me: 'mx.postern.test\n', spool_dir: 'spool\n' },
      })
      try {
        const run = await swaks(p.port, [
          '-f',
          'swaks@example.org',
          '-t',
          'rcpt@example.com',
          '--header',
          'Subject: e2e forward',
          '--body',
          'hello\n.dot\n',
        ])
        if (expectOk) {
          expect(run.code, run.output).toBe(0)
          expect(run.output).toMatch(/<- {2}250 2\.0\.0 Forwarded: Ok/)
          const d = parseDump((await s.waitForMessages(1))[0]!)
          expect(d.message).toMatch(/^Received: from .*\n\tby mx\.postern\.test \(Postern\)/)
          expect(d.message).toContain('Subject: e2e forward\n')
          expect(d.message).toContain('\nhello\n.dot\n')
        } else {
          expect(run.output).toMatch(/<\*\* 550 5\.1\.1 No such user here/)
          expect(s.messages()).toEqual([])
        }
      } finally {
        await p.close()
      }
    }
  })
})
