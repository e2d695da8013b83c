/**
 * How long a session waits for DNS, cold cache vs warm, with all six DNS plugins loaded the way
 * a site would list them, against the real dnsmasq of the tests. Prints figures; asserts nothing.
 *
 *     pnpm bench:dns [sessions] [delay-ms]
 *
 * A session is connect → EHLO → MAIL → RCPT → data_post_headers with no client delay between
 * commands, so the time is what the hooks spent blocked on lookups (the lookups started at
 * connect/EHLO/MAIL are all awaited at RCPT). The queries go to a loopback dnsmasq, directly and
 * then through a proxy that answers each query `delay-ms` late (default 20), like a server across
 * a network: there the cold figure shows how many round trips are on the critical path.
 */
import { performance } from 'node:perf_hooks'
import checkDns from '@postern/check-dns'
import { createDnsResolver } from '@postern/core'
import whitelist from '@postern/dns-whitelist-soft'
import dnsbl from '@postern/dnsbl'
import nodialup from '@postern/nodialup'
import rhsbl from '@postern/rhsbl'
import spf from '@postern/spf'
import { startDelayProxy, startTestDns, TEST_DNS } from '@postern/test-peers'
import { loadPlugin, testAddress } from '@postern/testing'

const runs = Number(process.argv[2] ?? 20)
const delayMs = Number(process.argv[3] ?? 20)
const peer = await startTestDns()
if (!peer) throw new Error('dnsmasq is not installed')
const proxy = await startDelayProxy(peer.server, delayMs)
const { ip: IP, zone: Z, domain: D } = TEST_DNS

async function harness(server: string) {
  const dns = createDnsResolver({ servers: [server], timeout: 2000 })
  const h = await loadPlugin(spf, {
    dns,
    logLevel: 3,
    args: 'reject 3',
    before: [
      { plugin: whitelist },
      { plugin: dnsbl },
      { plugin: rhsbl, args: 'check_helo 1' },
      { plugin: checkDns },
      { plugin: nodialup },
    ],
    config: {
      me: 'mx.postern.test',
      whitelist_zones: [Z.whitelist],
      dnsbl_zones: [Z.dnsbl, Z.dnsblAOnly],
      rhsbl_zones: [Z.rhsbl],
    },
  })
  return { dns, h }
}

type Step = 'connect' | 'ehlo' | 'mail' | 'rcpt' | 'data_post_headers'
const steps: Step[] = ['connect', 'ehlo', 'mail', 'rcpt', 'data_post_headers']

async function session({ h }: Awaited<ReturnType<typeof harness>>): Promise<Record<Step | 'total', number>> {
  const s = h.session({ remoteIp: IP.server })
  s.connection.helloHost = D.spfHelo
  const times = { connect: 0, ehlo: 0, mail: 0, rcpt: 0, data_post_headers: 0, total: 0 }
  const timed = async (step: Step, run: () => Promise<unknown>) => {
    const t0 = performance.now()
    await run()
    times[step] = performance.now() - t0
  }
  await timed('connect', () => h.first('connect', s))
  await timed('ehlo', () => h.first('ehlo', s, D.spfHelo))
  const tx = s.begin({ sender: `alice@${D.mx}`, message: 'Subject: x\n\nbody\n' })
  await timed('mail', () => h.first('mail', s, tx.sender!, new Map()))
  await timed('rcpt', async () => {
    const r = await h.first('rcpt', s, testAddress('bob@example.org'), new Map())
    if (r.code !== 909) throw new Error(`unexpected verdict ${r.code} from ${r.plugin}`)
  })
  await timed('data_post_headers', () => h.notify('data_post_headers', s))
  times.total = steps.reduce((sum, k) => sum + times[k], 0)
  return times
}

function stats(values: number[]) {
  const v = [...values].sort((a, b) => a - b)
  const at = (q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))]!
  return { median: at(0.5), p90: at(0.9), max: v[v.length - 1]! }
}

async function measure(setup: Awaited<ReturnType<typeof harness>>, label: string, cold: boolean) {
  const { dns } = setup
  const rows: Record<string, number>[] = []
  let queries = 0
  let hits = 0
  for (let i = 0; i < runs; i++) {
    if (cold) dns.clearCache()
    const q0 = dns.stats.queries
    const c0 = dns.stats.cacheHits
    rows.push(await session(setup))
    queries += dns.stats.queries - q0
    hits += dns.stats.cacheHits - c0
  }
  console.log(
    `\n${label}: ${runs} sessions, ${queries / runs} DNS queries and ${hits / runs} cache hits per session`,
  )
  for (const key of [...steps, 'total'] as const) {
    const s = stats(rows.map((r) => r[key]!))
    console.log(
      `  ${key.padEnd(18)} median ${s.median.toFixed(2).padStart(7)} ms   p90 ${s.p90.toFixed(2).padStart(7)} ms   max ${s.max.toFixed(2).padStart(7)} ms`,
    )
  }
}

for (const [name, server] of [
  ['loopback dnsmasq', peer.server],
  [`dnsmasq behind a ${delayMs} ms proxy`, proxy.server],
] as const) {
  const setup = await harness(server)
  await session(setup) // loads mailauth's lazy parts, warms the JIT; not counted
  await measure(setup, `${name}, cold cache (cleared before each session)`, true)
  await measure(setup, `${name}, warm cache (same client and sender again)`, false)
  await setup.h.close()
}
await proxy.close()
await peer.stop()
