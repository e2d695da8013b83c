/**
 * Lists, relay and whitelist overrides, content types, the tarpit and cf_wrapper through the
 * engine, with swaks as the client. One server per site config.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import aliases from '@postern/aliases'
import cfWrapper, { defineContentFilter } from '@postern/cf-wrapper'
import checkBadmailfrom from '@postern/check-badmailfrom'
import checkContentType from '@postern/check-content-type'
import checkNorelay from '@postern/check-norelay'
import checkRelay from '@postern/check-relay'
import { definePlugin, deny } from '@postern/core'
import mailinglistSimple from '@postern/mailinglist-simple'
import queueDiscard from '@postern/queue-discard'
import queueMaildir from '@postern/queue-maildir'
import rcptOk from '@postern/rcpt-ok'
import tarpit from '@postern/tarpit'
import { tempDir } from '@postern/test-peers'
import { startServer, type TestServer } from '@postern/testing'
import whitelist from '@postern/whitelist'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { swaks, swaksPath } from './swaks.js'

const site = tempDir('lists-content-e2e')
const listMail = path.join(site, 'lists-maildir')
const cfMail = path.join(site, 'cf-maildir')

/**
 * A site's own plugin that grants relaying at connect without reading norelayclients (a VPN
 * range, POP-before-SMTP): what check_norelay exists for. Listed after check_norelay on purpose.
 */
const siteRelay = definePlugin({
  name: 'site_relay',
  core: '^1.0.0',
  hooks: {
    connect(ctx) {
      if (ctx.connection.remoteIp === '127.0.0.3') ctx.connection.relayClient = true
    },
  },
})

/** A per-recipient content filter: recipients named strict* do not want offers. */
const noOffers = defineContentFilter({
  name: 'no_offers',
  core: '^1.0.0',
  setup: () => ({
    scan(ctx, recipients) {
      const offer = /offer/i.test(ctx.transaction.header?.get('Subject') ?? '')
      return recipients.map((r) =>
        offer && r.user.startsWith('strict') ? deny('Offers are not welcome here', '5.7.1') : undefined,
      )
    },
  }),
})

let lists: TestServer | undefined
let gate: TestServer | undefined
let cf: TestServer | undefined

beforeAll(async () => {
  ;[lists, gate, cf] = await Promise.all([
    startServer({
      plugins: [aliases, mailinglistSimple, rcptOk, queueMaildir],
      pluginLines: ['aliases', 'mailinglist_simple', 'rcpt_ok', `queue/maildir ${listMail}/%a`],
      config: {
        rcpthosts: 'example.com\nlists.example.com\n',
        aliases: 'team@lists.example.com: alice@example.com, bob@example.com\n',
        mailinglist_simple:
          'team@lists.example.com PROTECTED members=team.members signature=team.sig name=team.lists.example.com\n',
        'team.members': 'alice@example.com\nBob <bob@example.com>\n',
        'team.sig': '-- \nThe team list: https://lists.example.com/team\n',
      },
    }),
    startServer({
      plugins: [
        checkRelay,
        checkNorelay,
        siteRelay,
        whitelist,
        checkBadmailfrom,
        checkContentType,
        tarpit,
        rcptOk,
        queueDiscard,
      ],
      pluginLines: [
        'check_relay',
        'check_norelay',
        'site_relay',
        'whitelist',
        'check_badmailfrom',
        'check_content_type',
        'tarpit delay 0.05 factor 2 max 1',
        'rcpt_ok',
        'queue/discard',
      ],
      config: {
        rcpthosts: 'example.com\n',
        relayclients: '127.0.0.2\n127.0.0.3\n',
        norelayclients: '127.0.0.3\n',
        badmailfrom: '@partner.example\n',
        whitelistsenders: 'friend@partner.example\n',
        whitelisthosts: '127.0.0.5\n',
        content_types: [
          'text/plain OK',
          'message/rfc822 OK',
          '/^application\\/(x-msdownload|x-msdos-program)$/ DENY No executables here',
        ].join('\n'),
      },
    }),
    startServer({
      plugins: [cfWrapper, noOffers, rcptOk, queueMaildir],
      pluginLines: [
        'cf_wrapper mixed defer retry_ttl 600',
        'no_offers',
        'rcpt_ok',
        `queue/maildir ${cfMail}/%a`,
      ],
      config: { rcpthosts: 'example.com\n' },
    }),
  ])
}, 30_000)

afterAll(async () => {
  await Promise.all([lists?.close(), gate?.close(), cf?.close()])
  rmSync(site, { recursive: true, force: true })
})

const to = (server: TestServer | undefined, args: string[], from = '127.0.0.1') =>
  swaks([
    '--server',
    `127.0.0.1:${server!.port}`,
    '--local-interface',
    from,
    '--helo',
    'client.example.org',
    ...args,
  ])

/** The files delivered into one recipient's Maildir. */
function deliveredTo(root: string, address: string): string[] {
  const dir = path.join(root, address, 'new')
  try {
    return readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8'))
  } catch {
    return []
  }
}

/** The messages of log entries one plugin wrote while `run` ran. */
async function logsOf(server: TestServer, plugin: string, run: () => Promise<unknown>): Promise<string[]> {
  const from = server.logs.length
  await run()
  return server.logs
    .slice(from)
    .filter((e) => e.plugin === plugin)
    .map((e) => e.message)
}

describe.skipIf(!swaksPath)('lists and content through the engine', () => {
  it('aliases + mailinglist_simple: the members get the post with list headers and signature', async () => {
    const r = await to(lists, [
      '--from',
      'alice@example.com',
      '--to',
      'team@lists.example.com',
      '--header',
      'Subject: hello team',
      '--header',
      'Reply-To: alice@example.com',
      '--body',
      'Hi all',
    ])
    expect(r.out).toMatch(/<- {2}250 2\.0\.0 Queued as /)
    for (const member of ['alice@example.com', 'bob@example.com']) {
      const files = deliveredTo(listMail, member)
      expect(files).toHaveLength(1)
      const text = files[0]!.replace(/\r\n/g, '\n')
      expect(text).toMatch(/^Reply-To: <team@lists\.example\.com>$/m)
      expect(text).not.toMatch(/^Reply-To: alice@example\.com$/m)
      expect(text).toMatch(/^Precedence: bulk$/m)
      expect(text).toMatch(/^X-Mailing-List: team\.lists\.example\.com$/m)
      // swaks ends its body with blank lines; the signature follows them.
      expect(text).toMatch(/\n\nHi all\n+-- \nThe team list: https:\/\/lists\.example\.com\/team\n$/)
    }
    // A stranger may not post to the protected list.
    const stranger = await to(lists, ['--from', 'mallory@example.net', '--to', 'team@lists.example.com'])
    expect(stranger.out).toContain(
      'RCPT TO:<team@lists.example.com>\n<** 550 5.7.2 Only members may post to the list team@lists.example.com',
    )
  })

  it('whitelist: a whitelisted sender or host passes the badmailfrom check that refuses others', async () => {
    const args = (sender: string) => ['--from', sender, '--to', 'user@example.com']
    const refused = await to(gate, args('other@partner.example'))
    expect(refused.out).toMatch(/RCPT TO:<user@example\.com>\n<\*\* 550 5\.7\.1 /)
    const sender = await to(gate, args('friend@partner.example'))
    expect(sender.out).toMatch(/<- {2}250 2\.0\.0 /)
    expect(sender.code).toBe(0)
    const host = await to(gate, args('other@partner.example'), '127.0.0.5')
    expect(host.code).toBe(0)
  })

  it('check_norelay: norelayclients takes relaying away that relayclients and a later plugin gave', async () => {
    const relay = await to(
      gate,
      ['--from', 'a@example.com', '--to', 'someone@elsewhere.example'],
      '127.0.0.2',
    )
    expect(relay.code).toBe(0)
    const notes = await logsOf(gate!, 'check_norelay', async () => {
      const norelay = await to(
        gate,
        ['--from', 'a@example.com', '--to', 'someone@elsewhere.example'],
        '127.0.0.3',
      )
      expect(norelay.out).toContain('RCPT TO:<someone@elsewhere.example>\n<** 550 5.7.1 Relaying denied')
    })
    expect(notes.some((m) => /127\.0\.0\.3 in norelayclients .*relaying off at connect/.test(m))).toBe(true)
  })

  it('check_content_type: a forbidden attachment, direct or inside an attached message, is refused after DATA', async () => {
    const exe = path.join(site, 'setup.exe')
    writeFileSync(exe, 'MZ\x90\x00fake executable')
    const direct = await to(gate, [
      '--from',
      'a@example.org',
      '--to',
      'user@example.com',
      '--attach-type',
      'application/x-msdownload',
      '--attach',
      exe,
    ])
    expect(direct.out).toMatch(/ -> \.\n<\*\* 552 5\.6\.1 No executables here\n/)

    const forwarded = path.join(site, 'forwarded.eml')
    writeFileSync(
      forwarded,
      [
        'From: b@example.net',
        'Subject: have a look',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="inner"',
        '',
        '--inner',
        'Content-Type: text/plain',
        '',
        'see attached',
        '--inner',
        'Content-Type: application/x-msdos-program; name="run.exe"',
        'Content-Disposition: attachment; filename="run.exe"',
        'Content-Transfer-Encoding: base64',
        '',
        'TVqQAA==',
        '--inner--',
        '',
      ].join('\r\n'),
    )
    const nested = await to(gate, [
      '--from',
      'a@example.org',
      '--to',
      'user@example.com',
      '--attach-type',
      'message/rfc822',
      '--attach',
      forwarded,
    ])
    expect(nested.out).toMatch(/ -> \.\n<\*\* 552 5\.6\.1 No executables here\n/)

    const clean = await to(gate, [
      '--from',
      'a@example.org',
      '--to',
      'user@example.com',
      '--body',
      'just text',
    ])
    expect(clean.out).toMatch(/<- {2}250 2\.0\.0 /)
  })

  it('tarpit: each refusal on a connection raises the delay the engine puts before replies', async () => {
    const lines = await logsOf(gate!, 'tarpit', () =>
      to(gate, ['--from', 'a@example.org', '--to', 'x@elsewhere.example,y@elsewhere.example']),
    )
    expect(lines).toEqual([
      'refusal 1 by rcpt_ok at rcpt: replies now delayed 50 ms',
      'refusal 2 by rcpt_ok at rcpt: replies now delayed 100 ms',
    ])
  })

  it('cf_wrapper: a mixed result is deferred, and on retry only the refusing recipient is refused', async () => {
    const args = [
      '--from',
      'shop@example.org',
      '--to',
      'easy@example.com,strict@example.com',
      '--header',
      'Subject: a special offer',
    ]
    const first = await to(cf, args)
    expect(first.out).toMatch(/ -> \.\n<\*\* 451 4\.7\.0 Some recipients refused this message/)
    expect(deliveredTo(cfMail, 'easy@example.com')).toHaveLength(0)

    const retry = await to(cf, args)
    expect(retry.out).toContain('RCPT TO:<strict@example.com>\n<** 550 5.7.1 Offers are not welcome here')
    expect(retry.out).toMatch(/RCPT TO:<easy@example\.com>\n<- {2}250 /)
    expect(retry.out).toMatch(/<- {2}250 2\.0\.0 Queued as /)
    expect(deliveredTo(cfMail, 'easy@example.com')).toHaveLength(1)
    expect(deliveredTo(cfMail, 'strict@example.com')).toHaveLength(0)
  })
})
