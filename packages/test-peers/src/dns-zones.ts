/**
 * The test zones every DNS test shares (plugin tests now, engine end-to-end tests later): which
 * IPs are listed where, which domains have MX, A only, SPF, PTR. Addresses come from the
 * documentation ranges (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32) so nothing real is named.
 */
import { isIP } from 'node:net'

export type DnsRecord =
  | { type: 'A'; name: string; address: string }
  | { type: 'AAAA'; name: string; address: string }
  | { type: 'TXT'; name: string; text: string }
  | { type: 'MX'; name: string; exchange: string; priority: number }
  | { type: 'PTR'; name: string; target: string }
  | { type: 'CNAME'; name: string; target: string }

/** Names and addresses of the shared fixture, for tests to refer to. */
export const TEST_DNS = {
  zone: {
    /** IP blocklist: A 127.0.0.x plus TXT. */
    dnsbl: 'bl.test',
    /** IP blocklist publishing A records only (for `zone message with %IP%`). */
    dnsblAOnly: 'a.bl.test',
    /** IP allowlist for dns_whitelist_soft. */
    whitelist: 'wl.test',
    /** Domain blocklist (RHSBL). */
    rhsbl: 'rhs.test',
    /** Every name below it gets SERVFAIL (forwarded to a SERVFAIL stub). */
    servfail: 'broken.test',
    /** Every name below it times out (forwarded to the black hole). */
    timeout: 'slow.test',
  },
  ip: {
    /** bl.test: 127.0.0.2 + TXT; a.bl.test: 127.0.0.2 (no TXT). */
    listed: '192.0.2.66',
    /** bl.test: 127.0.0.10 only (PBL-style "dynamic range" code). */
    listedPbl: '192.0.2.10',
    /** bl.test: both 127.0.0.4 and 127.0.0.10. */
    listedTwice: '192.0.2.11',
    /** bl.test answers 127.255.255.254 (a list's "query refused" error code, not a listing). */
    listErrorCode: '192.0.2.254',
    /** Listed nowhere; no PTR. */
    unlisted: '192.0.2.1',
    /** bl.test: 127.0.0.2 + TXT, as an IPv6 nibble name. */
    listedV6: '2001:db8::66',
    unlistedV6: '2001:db8::1',
    /** wl.test: 127.0.0.2 + TXT; also listed in bl.test (the whitelist must win). */
    whitelisted: '192.0.2.50',
    /** PTR dsl-192-0-2-7.dyn.example.net (dynamic-looking). */
    dynamic: '192.0.2.7',
    /** PTR 2001-db8--7.pool.example.net (dynamic-looking, IPv6). */
    dynamicV6: '2001:db8::7',
    /** PTR mx.example.com (a normal server name; the MX of example.com). */
    server: '192.0.2.25',
    /** PTR mx.example.com (the AAAA of mx.example.com). */
    serverV6: '2001:db8::25',
    /** A of helo.example.com, PTR helo.example.com. */
    helo: '192.0.2.26',
    /** No PTR (NXDOMAIN in in-addr.arpa). */
    noPtr: '192.0.2.9',
    /** Outside example.com's SPF range. */
    foreign: '198.51.100.200',
  },
  domain: {
    /** MX mx.example.com (192.0.2.25); SPF `ip4:192.0.2.0/25 -all`. */
    mx: 'example.com',
    mxHost: 'mx.example.com',
    /** A 192.0.2.30 only (no MX, no SPF). */
    aOnly: 'a-only.example.com',
    /** AAAA 2001:db8::30 only. */
    aaaaOnly: 'aaaa-only.example.com',
    /** NXDOMAIN. */
    nxdomain: 'nxdomain.example.com',
    /** Exists (TXT only) but has no MX, A or AAAA. */
    noAddress: 'txt-only.example.com',
    /** A 10.1.2.3 only: resolves only into a private network. */
    privateOnly: 'private.example.com',
    /** MX whose host is 127.0.0.1. */
    loopbackMx: 'loopback-mx.example.com',
    /** A 10.1.2.4 and 192.0.2.31: one usable address is enough. */
    mixed: 'mixed.example.com',
    /** MX to a host that does not exist. */
    danglingMx: 'dangling-mx.example.com',
    /** Null MX (RFC 7505): accepts no mail. */
    nullMx: 'null-mx.example.com',
    /** SERVFAIL for every type. */
    servfail: 'sender.broken.test',
    /** Never answers. */
    timeout: 'sender.slow.test',
    /** rhs.test: 127.0.0.2 + TXT. Also has MX so other checks pass. */
    rhsListed: 'spammer.example.net',
    /** rhs.test: 127.0.0.3, A only. */
    rhsListedAOnly: 'phish.example.net',
    /** Listed nowhere, with MX. */
    rhsClean: 'example.com',
    // SPF
    /** `v=spf1 ip4:192.0.2.25 ~all` */
    spfSoftfail: 'softfail.example.com',
    /** `v=spf1 ?all` */
    spfNeutral: 'neutral.example.com',
    /** `v=spf1 include:example.com -all` */
    spfInclude: 'include.example.com',
    /** `v=spf1 ip4:192.0.2.25 bogus:x -all` (unknown mechanism) */
    spfPermerror: 'permerror.example.com',
    /** `v=spf1 include:spf.broken.test -all` (the include SERVFAILs) */
    spfTemperror: 'temperror.example.com',
    /** A 192.0.2.26; `v=spf1 a -all` (a HELO name with its own SPF record) */
    spfHelo: 'helo.example.com',
  },
} as const

const Z = TEST_DNS.zone
const IP = TEST_DNS.ip
const D = TEST_DNS.domain

/** `1.2.3.4` → `4.3.2.1`; IPv6 → its 32 nibbles reversed (the DNSBL / PTR label order). */
export function reversedLabels(ip: string): string {
  if (isIP(ip) === 4) return ip.split('.').reverse().join('.')
  if (isIP(ip) !== 6) throw new TypeError(`not an IP address: ${ip}`)
  const [head = '', tail] = ip.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0')
  const hex = [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join('')
  return hex.split('').reverse().join('.')
}

function listing(ip: string, zone: string, codes: string[], txt?: string): DnsRecord[] {
  const name = `${reversedLabels(ip)}.${zone}`
  return [
    ...codes.map((address): DnsRecord => ({ type: 'A', name, address })),
    ...(txt ? [{ type: 'TXT', name, text: txt } as const] : []),
  ]
}

function ptr(ip: string, target: string): DnsRecord {
  const suffix = ip.includes(':') ? 'ip6.arpa' : 'in-addr.arpa'
  return { type: 'PTR', name: `${reversedLabels(ip)}.${suffix}`, target }
}

/** The records of the shared fixture. */
export function testDnsRecords(): DnsRecord[] {
  return [
    // DNSBL
    ...listing(IP.listed, Z.dnsbl, ['127.0.0.2'], `Listed in ${Z.dnsbl}, see https://bl.test/q?${IP.listed}`),
    ...listing(IP.listed, Z.dnsblAOnly, ['127.0.0.2']),
    ...listing(IP.listedPbl, Z.dnsbl, ['127.0.0.10'], `Dynamic range ${IP.listedPbl} (PBL)`),
    ...listing(IP.listedTwice, Z.dnsbl, ['127.0.0.4', '127.0.0.10'], `Listed twice ${IP.listedTwice}`),
    ...listing(IP.listErrorCode, Z.dnsbl, ['127.255.255.254'], 'Query refused'),
    ...listing(IP.listedV6, Z.dnsbl, ['127.0.0.2'], `Listed in ${Z.dnsbl}: IPv6 ${IP.listedV6}`),
    ...listing(IP.whitelisted, Z.dnsbl, ['127.0.0.2'], 'Listed (but whitelisted elsewhere)'),
    // DNS whitelist
    ...listing(IP.whitelisted, Z.whitelist, ['127.0.0.2'], 'Known good sender'),
    // RHSBL
    { type: 'A', name: `${D.rhsListed}.${Z.rhsbl}`, address: '127.0.0.2' },
    { type: 'TXT', name: `${D.rhsListed}.${Z.rhsbl}`, text: `Domain ${D.rhsListed} is listed` },
    { type: 'A', name: `${D.rhsListedAOnly}.${Z.rhsbl}`, address: '127.0.0.3' },
    // Sender domains
    { type: 'A', name: D.mxHost, address: IP.server },
    { type: 'AAAA', name: D.mxHost, address: IP.serverV6 },
    { type: 'MX', name: D.mx, exchange: D.mxHost, priority: 10 },
    { type: 'TXT', name: D.mx, text: 'v=spf1 ip4:192.0.2.0/25 -all' },
    { type: 'A', name: D.aOnly, address: '192.0.2.30' },
    { type: 'AAAA', name: D.aaaaOnly, address: '2001:db8::30' },
    { type: 'TXT', name: D.noAddress, text: 'nothing to see' },
    { type: 'A', name: D.privateOnly, address: '10.1.2.3' },
    { type: 'MX', name: D.loopbackMx, exchange: `mx.${D.loopbackMx}`, priority: 10 },
    { type: 'A', name: `mx.${D.loopbackMx}`, address: '127.0.0.1' },
    { type: 'A', name: D.mixed, address: '10.1.2.4' },
    { type: 'A', name: D.mixed, address: '192.0.2.31' },
    { type: 'MX', name: D.danglingMx, exchange: `gone.${D.danglingMx}`, priority: 10 },
    { type: 'MX', name: D.nullMx, exchange: '.', priority: 0 },
    { type: 'MX', name: D.rhsListed, exchange: D.mxHost, priority: 10 },
    { type: 'MX', name: D.rhsListedAOnly, exchange: D.mxHost, priority: 10 },
    // SPF
    { type: 'MX', name: D.spfSoftfail, exchange: D.mxHost, priority: 10 },
    { type: 'TXT', name: D.spfSoftfail, text: 'v=spf1 ip4:192.0.2.25 ~all' },
    { type: 'MX', name: D.spfNeutral, exchange: D.mxHost, priority: 10 },
    { type: 'TXT', name: D.spfNeutral, text: 'v=spf1 ?all' },
    { type: 'MX', name: D.spfInclude, exchange: D.mxHost, priority: 10 },
    { type: 'TXT', name: D.spfInclude, text: `v=spf1 include:${D.mx} -all` },
    { type: 'MX', name: D.spfPermerror, exchange: D.mxHost, priority: 10 },
    { type: 'TXT', name: D.spfPermerror, text: 'v=spf1 ip4:192.0.2.25 bogus:x -all' },
    { type: 'MX', name: D.spfTemperror, exchange: D.mxHost, priority: 10 },
    { type: 'TXT', name: D.spfTemperror, text: `v=spf1 include:spf.${Z.servfail} -all` },
    { type: 'A', name: D.spfHelo, address: IP.helo },
    { type: 'TXT', name: D.spfHelo, text: 'v=spf1 a -all' },
    // Reverse DNS
    ptr(IP.dynamic, 'dsl-192-0-2-7.dyn.example.net'),
    ptr(IP.dynamicV6, '2001-db8--7.pool.example.net'),
    // (A and AAAA records come with their PTR: mx.example.com is the PTR of 192.0.2.25.)
    ptr(IP.listed, 'host66.example.org'),
  ]
}

/** Zones answered only from local data: a name not defined above is NXDOMAIN. */
export const TEST_DNS_LOCAL_ZONES = [
  Z.dnsbl,
  Z.whitelist,
  Z.rhsbl,
  'example.com',
  'example.net',
  'example.org',
  'in-addr.arpa',
  'ip6.arpa',
] as const
