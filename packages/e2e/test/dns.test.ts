import dnsWhitelistSoft from '@postern/dns-whitelist-soft'
import dnsbl from '@postern/dnsbl'
import queueDiscard from '@postern/queue-discard'
import rcptOk from '@postern/rcpt-ok'
import { reversedLabels, startTestDns, TEST_DNS, type TestDns } from '@postern/test-peers'
import { startServer, type TestServer } from '@postern/testing'
import whitelistSoft from '@postern/whitelist-soft'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { swaks, swaksPath } from './swaks.js'

// Over loopback the client's address is whatever 127.x address it binds: list some.
const LISTED = '127.0.0.66'
const WHITELISTED = '127.0.0.50'
/** In config/whitelistrcpt: whitelist_soft marks it, dnsbl lets it through from a listed client. */
const WHITELISTED_RCPT = 'friend@example.com'
const extra = [
  { type: 'A' as const, name: `${reversedLabels(LISTED)}.${TEST_DNS.zone.dnsbl}`, address: '127.0.0.2' },
  { type: 'A' as const, name: `${reversedLabels(WHITELISTED)}.${TEST_DNS.zone.dnsbl}`, address: '127.0.0.2' },
  {
    type: 'A' as const,
    name: `${reversedLabels(WHITELISTED)}.${TEST_DNS.zone.whitelist}`,
    address: '127.0.0.2',
  },
  {
    type: 'TXT' as const,
    name: `${reversedLabels(WHITELISTED)}.${TEST_DNS.zone.whitelist}`,
    text: 'known good',
  },
]

// Started here, not in beforeAll, so the suite can skip when a peer is missing outside CI
// (startTestDns and requirePeer throw in CI instead).
const dns: TestDns | undefined = swaksPath ? await startTestDns(extra) : undefined
if (swaksPath && !dns) console.warn('dnsmasq is not installed: the DNS end-to-end tests are skipped')
let server: TestServer | undefined

beforeAll(async () => {
  if (!dns) return
  server = await startServer({
    plugins: [dnsWhitelistSoft, whitelistSoft, dnsbl, rcptOk, queueDiscard],
    pluginLines: ['dns_whitelist_soft', 'whitelist_soft', 'dnsbl', 'rcpt_ok', 'queue/discard'],
    config: {
      dns_servers: `${dns.server}\n`,
      dnsbl_zones: `${TEST_DNS.zone.dnsbl} Mail from %IP% refused: listed in ${TEST_DNS.zone.dnsbl}\n`,
      whitelist_zones: `${TEST_DNS.zone.whitelist}\n`,
      whitelistrcpt: `${WHITELISTED_RCPT}\n`,
      rcpthosts: 'example.com\n',
    },
  })
}, 30_000)

afterAll(async () => {
  await server?.close()
  await dns?.stop()
})

const send = (from: string, to: string) =>
  swaks([
    '--server',
    `127.0.0.1:${server!.port}`,
    '--local-interface',
    from,
    '--from',
    'a@example.org',
    '--to',
    to,
  ])

describe.skipIf(!swaksPath || !dns)('DNS plugins through the engine, with swaks and dnsmasq', () => {
  it('a listed client gets the configured reply at RCPT', async () => {
    const r = await send(LISTED, 'user@example.com')
    expect(r.out).toMatch(/<\*\* 550 5\.7\.1 Mail from 127\.0\.0\.66 refused: listed in bl\.test/)
    expect(r.code).not.toBe(0)
  })

  it('postmaster still passes from a listed client', async () => {
    const r = await send(LISTED, 'postmaster@example.com')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/<- {2}250 2\.0\.0 /)
  })

  it('a whitelisted host passes although it is listed', async () => {
    const r = await send(WHITELISTED, 'user@example.com')
    expect(r.code).toBe(0)
  })

  it('a recipient in whitelistrcpt passes from a listed client; the others are still refused', async () => {
    const r = await send(LISTED, WHITELISTED_RCPT)
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/<- {2}250 2\.0\.0 /)
    expect((await send(LISTED, 'user@example.com')).out).toMatch(/<\*\* 550 5\.7\.1 /)
  })

  it('an unlisted client passes', async () => {
    const r = await send('127.0.0.1', 'user@example.com')
    expect(r.code).toBe(0)
  })
})
