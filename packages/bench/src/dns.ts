/**
 * The local DNS of the realistic chain: dnsmasq on 127.0.0.53:53 answering example.net (the
 * client's HELO name, with its PTR), the DNSBL zone bl.example.net (127.0.0.2 listed, 127.0.0.1
 * not) and NXDOMAIN for everything else it owns. Postern is pointed at it with
 * `config/dns_servers`; Haraka reads /etc/resolv.conf, so it runs in a private mount namespace
 * where resolv.conf and hosts are bind-mounted over (`unshare -m`, root only).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { DNSMASQ } from './setup.js'
import { sleep } from './util.js'

/** A loopback address of its own, so port 53 does not clash with anything on 127.0.0.1. */
export const DNS_IP = '127.0.0.53'

export interface LocalDns {
  /** `resolv.conf` and `hosts` to bind-mount for Haraka. */
  resolvConf: string
  hosts: string
  stop(): Promise<void>
}

export async function startDns(root: string): Promise<LocalDns> {
  const dir = path.join(root, 'dns')
  mkdirSync(dir, { recursive: true })
  const conf = path.join(dir, 'dnsmasq.conf')
  writeFileSync(
    conf,
    [
      'port=53',
      `listen-address=${DNS_IP}`,
      'bind-interfaces',
      'no-resolv',
      'no-hosts',
      'no-poll',
      ...(process.getuid?.() === 0 ? ['user=nobody', 'group=nogroup'] : []),
      `pid-file=${path.join(dir, 'dnsmasq.pid')}`,
      'local=/example.net/',
      'local=/example.org/',
      'local=/example.com/',
      'local=/127.in-addr.arpa/',
      // host-record also publishes the PTR: 127.0.0.1 → mx.example.net.
      'host-record=mx.example.net,127.0.0.1',
      'host-record=2.0.0.127.bl.example.net,127.0.0.2',
      'txt-record=2.0.0.127.bl.example.net,"listed: test point"',
      '',
    ].join('\n'),
  )
  const resolvConf = path.join(dir, 'resolv.conf')
  writeFileSync(resolvConf, `nameserver ${DNS_IP}\noptions timeout:1 attempts:1\n`)
  // No 127.0.0.1 line, so Haraka's reverse lookup of the client goes to dnsmasq too.
  const hosts = path.join(dir, 'hosts')
  writeFileSync(hosts, '::1 ip6-localhost\n')
  const child: ChildProcess = spawn(DNSMASQ, ['-k', '-C', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
  })
  // Ready when it answers: a query for the listed DNSBL name.
  const { Resolver } = await import('node:dns/promises')
  const r = new Resolver({ timeout: 200, tries: 1 })
  r.setServers([DNS_IP])
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${err.trim()}`)
    try {
      const a = await r.resolve4('2.0.0.127.bl.example.net')
      if (a[0] === '127.0.0.2') break
    } catch {}
    if (i > 100) throw new Error(`dnsmasq did not answer: ${err.trim()}`)
    await sleep(50)
  }
  return {
    resolvConf,
    hosts,
    async stop() {
      if (child.exitCode !== null) return
      const gone = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await Promise.race([gone, sleep(3000)])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}
