/**
 * dnsmasq (Debian `dnsmasq-base`) as the real DNS server of the DNS plugin tests: a config file
 * in a temp dir, an ephemeral 127.0.0.1 port (UDP and TCP), local zones so undefined names are
 * NXDOMAIN (not REFUSED), and chosen zones forwarded to a SERVFAIL stub or a black hole.
 * Recipe: ../../../../shared/services/dnsmasq.sh (tried on this machine).
 */
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { type StubDns, startStubDns } from './dns-stub.js'
import { type DnsRecord, TEST_DNS, TEST_DNS_LOCAL_ZONES, testDnsRecords } from './dns-zones.js'
import { freePort, type PeerProcess, requirePeer, startProcess, tempDir, waitForTcp } from './process.js'

export * from './dns-stub.js'
export * from './dns-zones.js'

export interface DnsmasqOptions {
  records: readonly DnsRecord[]
  /** Zones answered from local data only (undefined names → NXDOMAIN). */
  localZones?: readonly string[]
  /** zone → `ip:port` of the server that answers it (SERVFAIL stubs, black holes). */
  forward?: Readonly<Record<string, string>>
  /** TTL of the local records in seconds (dnsmasq's default is 0: nothing would be cached). */
  ttl?: number
}

export interface Dnsmasq extends PeerProcess {
  /** `127.0.0.1:PORT` for `createDnsResolver({ servers })` or `config/dns_servers`. */
  readonly server: string
  readonly port: number
}

const NAME = /^[A-Za-z0-9_.-]+$/

function checkName(name: string): string {
  if (!NAME.test(name)) throw new Error(`dnsmasq: bad DNS name ${JSON.stringify(name)}`)
  return name
}

/** A TXT value as dnsmasq wants it: quoted strings of at most 255 bytes each. */
function txtStrings(text: string): string {
  if (/["\\\r\n]/.test(text)) throw new Error(`dnsmasq: TXT text cannot hold quotes or line breaks: ${text}`)
  const parts: string[] = []
  for (let i = 0; i < text.length || i === 0; i += 255) parts.push(`"${text.slice(i, i + 255)}"`)
  return parts.join(',')
}

/** The config line of one record. */
function recordLine(r: DnsRecord): string {
  const name = checkName(r.name)
  switch (r.type) {
    // host-record also publishes the PTR of the address.
    case 'A':
    case 'AAAA':
      return `host-record=${name},${r.address}`
    case 'TXT':
      return `txt-record=${name},${txtStrings(r.text)}`
    case 'MX':
      // `.` is a null MX (RFC 7505).
      return `mx-host=${name},${r.exchange === '.' ? '.' : checkName(r.exchange)},${r.priority}`
    case 'PTR':
      return `ptr-record=${name},${checkName(r.target)}`
    case 'CNAME':
      return `cname=${name},${checkName(r.target)}`
  }
}

/** The config lines for the records. */
export function dnsmasqRecordLines(records: readonly DnsRecord[]): string[] {
  return records.map(recordLine)
}

/**
 * Starts dnsmasq. Returns undefined when it is not installed outside CI (the caller skips);
 * in CI a missing dnsmasq throws.
 */
export async function startDnsmasq(options: DnsmasqOptions): Promise<Dnsmasq | undefined> {
  const command = requirePeer('dnsmasq', '/usr/sbin/dnsmasq', 'dnsmasq')
  if (!command) return undefined
  const port = await freePort()
  const dir = tempDir('dnsmasq')
  const conf = [
    // Loopback only, nothing from the host (resolv.conf, /etc/hosts), no upstream.
    `port=${port}`,
    'listen-address=127.0.0.1',
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    'no-poll',
    // Every query reaches the records (the tests measure the client's cache, not dnsmasq's).
    'no-negcache',
    'cache-size=0',
    `local-ttl=${options.ttl ?? 300}`,
    'log-queries',
    'log-facility=-',
    // As root dnsmasq drops to this user after binding; as anyone else the line must go.
    ...(process.getuid?.() === 0 ? ['user=nobody'] : []),
    ...(options.localZones ?? []).map((z) => `local=/${checkName(z)}/`),
    ...Object.entries(options.forward ?? {}).map(
      ([zone, server]) => `server=/${checkName(zone)}/${server.replace(':', '#')}`,
    ),
    ...dnsmasqRecordLines(options.records),
  ]
  const file = path.join(dir, 'dnsmasq.conf')
  writeFileSync(file, `${conf.join('\n')}\n`)
  // -k: stay in the foreground (the PID we stop is dnsmasq's); -C: this config only.
  const proc = await startProcess({
    name: 'dnsmasq',
    command,
    args: ['-k', '-C', file],
    dir,
    ready: () => waitForTcp(port),
  })
  const stop = async () => {
    await proc.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  return { ...proc, stop, server: `127.0.0.1:${port}`, port }
}

export interface TestDns {
  /** dnsmasq with the shared fixture (`TEST_DNS`): `127.0.0.1:PORT`. */
  readonly server: string
  /** A UDP port that never answers: `127.0.0.1:PORT`. */
  readonly blackHole: string
  /** A server that answers SERVFAIL to everything: `127.0.0.1:PORT`. */
  readonly servfail: string
  /** The two stubs themselves (their `queries` counters show what was asked). */
  readonly stubs: { readonly blackHole: StubDns; readonly servfail: StubDns }
  readonly dnsmasq: Dnsmasq
  stop(): Promise<void>
}

/**
 * dnsmasq with the shared fixture, plus the black hole and the SERVFAIL stub (also reachable
 * through dnsmasq: names under `slow.test` time out, names under `broken.test` SERVFAIL).
 * Undefined when dnsmasq is missing outside CI.
 */
export async function startTestDns(extra: readonly DnsRecord[] = []): Promise<TestDns | undefined> {
  const stubs: StubDns[] = []
  try {
    const blackHole = await startStubDns('blackhole')
    stubs.push(blackHole)
    const servfail = await startStubDns('servfail')
    stubs.push(servfail)
    const dnsmasq = await startDnsmasq({
      records: [...testDnsRecords(), ...extra],
      localZones: TEST_DNS_LOCAL_ZONES,
      forward: { [TEST_DNS.zone.servfail]: servfail.server, [TEST_DNS.zone.timeout]: blackHole.server },
    })
    if (!dnsmasq) {
      await Promise.all(stubs.map((s) => s.close()))
      return undefined
    }
    return {
      server: dnsmasq.server,
      blackHole: blackHole.server,
      servfail: servfail.server,
      stubs: { blackHole, servfail },
      dnsmasq,
      async stop() {
        await dnsmasq.stop()
        await Promise.all(stubs.map((s) => s.close()))
      },
    }
  } catch (err) {
    await Promise.all(stubs.map((s) => s.close()))
    throw err
  }
}
