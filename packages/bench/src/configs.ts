/**
 * The config of each server under test, written into the bench's temp dir. Both SMTP servers
 * get the same policy as far as each allows: "base" = accept-list (example.com) + discard queue;
 * "chain" = the realistic chain (relay check, badmailfrom, badrcptto, HELO checks, DNSBL against
 * the local dnsmasq, header checks, loop check, Maildir queue with fsync; Postern also greylists,
 * with the client already white). Haraka's configs follow ../shared/reference/haraka-bench.md.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { DNS_IP } from './dns.js'
import { harakaBin } from './setup.js'

/** `floor`: a plain Node net server (floor-server.mjs), what Node itself costs. */
export type Kind = 'postern' | 'haraka' | 'sink' | 'floor'
/** `chain-discard`: the chain with the discard queue, to tell the chain's cost from the disk's. */
export type Variant = 'base' | 'chain' | 'chain-discard'

function write(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text.endsWith('\n') ? text : `${text}\n`)
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

/** 100 listed senders + 2 patterns, 100 listed recipients + 1 pattern (same sizes on both). */
const BAD_SENDERS = range(100).map((i) => `spammer${i}@bad${i % 10}.example`)
const SENDER_PATTERNS = ['^.*@.*\\.spam\\.example$', '^bulk-.*@.*$']
const BAD_RCPTS = range(100).map((i) => `nobody${i}@example.com`)
const RCPT_PATTERN = '^postmaster-test.*@example\\.com$'

/** Limits raised so the idle and 50 MB workloads measure memory, not refusals. */
const POSTERN_LIMITS = {
  me: 'bench.local',
  rcpthosts: 'example.com',
  databytes: String(64 * 1024 * 1024),
  max_connections: '20000',
  max_connections_per_ip: '20000',
  shutdown_timeout: '1',
}

export function posternConfig(root: string, variant: Variant): { configDir: string; maildir?: string } {
  const configDir = path.join(root, `postern-${variant}`, 'config')
  rmSync(path.dirname(configDir), { recursive: true, force: true })
  const spool = path.join(root, `postern-${variant}`, 'spool')
  if (variant === 'base') {
    write(configDir, {
      ...POSTERN_LIMITS,
      spool_dir: spool,
      plugins: ['rcpt_ok', 'queue/discard'].join('\n'),
    })
    return { configDir }
  }
  const maildir = variant === 'chain' ? path.join(root, `postern-${variant}`, 'Maildir') : undefined
  write(configDir, {
    ...POSTERN_LIMITS,
    spool_dir: spool,
    plugins: [
      'check_relay',
      'check_badmailfrom',
      'check_badrcptto',
      'check_spamhelo',
      'dnsbl',
      // The client's triplet is made white by a warm-up before the timed rounds.
      'greylisting black_timeout 1',
      'check_basicheaders past 15 future 2',
      'check_loop',
      'rcpt_ok',
      maildir ? `queue/maildir ${maildir}` : 'queue/discard',
    ].join('\n'),
    relayclients: '192.0.2.0/24\n198.51.100.0/24',
    badmailfrom: [...BAD_SENDERS, ...SENDER_PATTERNS.map((p) => `/${p}/`)].join('\n'),
    badrcptto: [...BAD_RCPTS, `/${RCPT_PATTERN}/`].join('\n'),
    badhelo: ['yahoo.com', 'aol.com', 'ylmf-pc', 'localhost.localdomain'].join('\n'),
    dnsbl_zones: 'bl.example.net',
    dns_servers: DNS_IP,
  })
  return maildir ? { configDir, maildir } : { configDir }
}

/** A Haraka instance dir made by `haraka -i`, then configured. */
export function harakaInstance(
  harakaDir: string,
  root: string,
  variant: Variant,
  port: number,
): { dir: string; maildir?: string } {
  const dir = path.join(root, `haraka-${variant}`)
  rmSync(dir, { recursive: true, force: true })
  execFileSync(process.execPath, [harakaBin(harakaDir), '-i', dir], { stdio: 'ignore' })
  const config = path.join(dir, 'config')
  const common = {
    'smtp.ini': `listen=127.0.0.1:${port}\nnodes=0\n`,
    host_list: 'example.com',
    me: 'bench.local',
    'log.ini': '[main]\nlevel=warn\ntimestamps=true\nformat=default\n',
    // Large enough for the 50 MB message; everything else stays as `haraka -i` wrote it.
    'connection.ini': readFileSync(path.join(config, 'connection.ini'), 'utf8').replace(
      /^bytes=\d+$/m,
      'bytes=67108864',
    ),
  }
  if (variant === 'base') {
    write(config, { ...common, plugins: 'rcpt_to.in_host_list\nqueue/discard' })
    return { dir }
  }
  const maildir = variant === 'chain' ? path.join(dir, 'maildir') : undefined
  write(config, {
    ...common,
    plugins: [
      'bench_public',
      'relay',
      'access',
      'helo.checks',
      'dns-list',
      'headers',
      'rcpt_to.in_host_list',
      maildir ? 'queue_fsync' : 'queue/discard',
    ].join('\n'),
    'relay.ini': '[relay]\nacl=true\nforce_routing=false\ndest_domains=false\nall=false\n',
    relay_acl_allow: '192.0.2.0/24\n198.51.100.0/24',
    'access.ini': '[check]\nany=true\nconn=true\nmail=true\nrcpt=true\n',
    'mail_from.access.blacklist': BAD_SENDERS.join('\n'),
    'mail_from.access.blacklist_regex': SENDER_PATTERNS.join('\n'),
    'rcpt_to.access.blacklist': BAD_RCPTS.join('\n'),
    'rcpt_to.access.blacklist_regex': RCPT_PATTERN,
    'connect.rdns_access.blacklist': range(20)
      .map((i) => `203.0.113.${i}`)
      .join('\n'),
    'access.domains': range(50)
      .map((i) => `blocked${i}.example`)
      .join('\n'),
    'helo.checks.ini': [
      '[reject]',
      ...[
        'match_re',
        'bare_ip',
        'dynamic',
        'big_company',
        'valid_hostname',
        'forward_dns',
        'literal_mismatch',
      ].map((k) => `${k}=true`),
      'rdns_match=false',
      'host_mismatch=false',
      '[skip]',
      'private_ip=true',
      'relaying=true',
    ].join('\n'),
    'helo.checks.regexps': '^localhost$\n^.*\\.dyn\\..*$\n^ylmf-pc$',
    'dns-list.ini': [
      '[main]',
      'periodic_checks=30',
      'zones=bl.example.net',
      'search=all',
      '[stats]',
      'enable=false',
      '[bl.example.net]',
      'type=block',
      'reject=true',
      'ipv6=false',
      '127.0.0.2=listed',
    ].join('\n'),
    'headers.ini': [
      'required=From,Date',
      'date_future_days=2',
      'date_past_days=15',
      'singular=Date,From,Sender,Reply-To,To,Cc,Bcc,Message-Id,In-Reply-To,References,Subject',
      '[reject]',
      ...[
        'duplicate_singular',
        'missing_required',
        'invalid_return_path',
        'invalid_date',
        'delivered_to',
      ].map((k) => `${k}=true`),
    ].join('\n'),
  })
  write(path.join(dir, 'plugins'), {
    // helo.checks and dns-list skip private IPs, and 127.0.0.1 is one: make the loopback client
    // look like an Internet client so they do their full work (as Postern's plugins do).
    'bench_public.js': `exports.hook_connect_init = function (next, connection) {
  connection.set('remote', 'is_private', false)
  connection.set('remote', 'is_local', false)
  next()
}`,
    // Haraka's queue/test does not fsync: a Maildir-style queue with Haraka's own FsyncWriteStream.
    'queue_fsync.js': `const fs = require('node:fs')
const path = require('node:path')
const { FsyncWriteStream } = require('haraka-utils')
const dir = ${JSON.stringify(maildir ?? path.join(dir, 'maildir'))}
exports.register = function () {
  for (const d of ['tmp', 'new']) fs.mkdirSync(path.join(dir, d), { recursive: true })
}
exports.hook_queue = function (next, connection) {
  const txn = connection?.transaction
  if (!txn) return next()
  const tmp = path.join(dir, 'tmp', txn.uuid)
  const fin = path.join(dir, 'new', txn.uuid)
  const ws = new FsyncWriteStream(tmp)
  let done = false
  const finish = (code, msg) => { if (!done) { done = true; next(code, msg) } }
  ws.once('error', () => finish(DENYSOFT, 'Queue write failed'))
  ws.once('close', () => fs.rename(tmp, fin, (err) => (err ? finish(DENYSOFT, 'Queue rename failed') : finish(OK))))
  txn.message_stream.pipe(ws)
}`,
  })
  return maildir ? { dir, maildir } : { dir }
}
