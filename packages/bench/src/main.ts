/**
 * `pnpm bench`: Postern against Haraka and Postfix's smtp-sink on this machine, side by side.
 *   pnpm bench                         every workload, 5 rounds; writes docs/performance.md
 *   pnpm bench --workloads 1,4 --rounds 2 --no-write     a short run while developing
 *   pnpm bench --cpu-prof DIR          Postern runs with node --cpu-prof (profiles into DIR)
 * Options: --rounds N, --workloads LIST (1–7), --idle N (connections of wk5), --starts N (wk7),
 * --node-flags="FLAGS" (extra node flags for Postern, after its #! line's), --servers LIST (postern,haraka,sink,floor), --no-build (use the existing dist/), --no-write.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { type LocalDns, startDns } from './dns.js'
import { machineLines, memoryTable, notes, type Results, throughputTable } from './report.js'
import type { Context } from './servers.js'
import {
  buildWorkspace,
  describeMachine,
  ensureDebianTools,
  ensureHaraka,
  loadAverage,
  posternBinFlags,
  REPO_ROOT,
} from './setup.js'
import {
  type BigResult,
  type IdleResult,
  runBig,
  runIdle,
  runStarts,
  runThroughput,
  THROUGHPUT,
} from './workloads.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    workloads: { type: 'string', default: '1,2,3,4,5,6,7' },
    idle: { type: 'string', default: '5000' },
    starts: { type: 'string', default: '5' },
    'cpu-prof': { type: 'string' },
    servers: { type: 'string', default: 'postern,haraka,sink,floor' },
    'node-flags': { type: 'string', default: '' },
    'no-build': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
  allowPositionals: false,
})

const log = (s: string) => console.error(s)
const rounds = Math.max(1, Number(values.rounds))
const selected = new Set(values.workloads.split(',').map((s) => Number(s.trim())))
/** The soft limit of open files (the start script raises it to the hard limit). */
function openFileLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
  return !m || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1])
}

// The client side of the idle workload holds one descriptor per connection (the server too).
const idleCount = Math.min(Number(values.idle), openFileLimit() - 500)
/** Only these servers (for profiling one of them). */
const servers = new Set(values.servers.split(',').map((s) => s.trim()))
const BIG_BYTES = 50 * 1024 * 1024
const BIG_SETTLE_MS = 5000

async function main(): Promise<void> {
  const loadStart = loadAverage()
  log(`postern bench: load average ${loadStart}`)
  ensureDebianTools(log)
  const harakaDir = ensureHaraka(log)
  if (!values['no-build']) buildWorkspace(log)
  const root = mkdtempSync(path.join(os.tmpdir(), 'postern-bench-'))
  const profDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined
  const ctx: Context = {
    root,
    harakaDir,
    posternNodeFlags: [
      ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
      ...values['node-flags'].split(' ').filter(Boolean),
    ],
  }
  const results: Results = {
    rounds,
    throughput: [],
    idle: [],
    idleCount,
    big: [],
    bigBytes: BIG_BYTES,
    bigSettleMs: BIG_SETTLE_MS,
    starts: new Map(),
  }
  let dns: LocalDns | undefined
  try {
    for (const w of THROUGHPUT) {
      if (!selected.has(w.id)) continue
      log(`workload ${w.id}: ${w.title}`)
      if (w.variant !== 'base' && !dns) {
        dns = await startDns(root)
        ctx.dns = dns
      }
      const kinds = w.kinds.filter((k) => servers.has(k))
      results.throughput.push(await runThroughput(ctx, { ...w, kinds }, rounds, log))
    }
    if (selected.has(5)) {
      log(`workload 5: ${idleCount} idle connections`)
      // smtp-sink greets only 256 sessions at a time: not a comparison point for this one.
      for (const kind of (['postern', 'haraka', 'floor'] as const).filter((k) => servers.has(k))) {
        try {
          results.idle.push(await runIdle(ctx, kind, idleCount))
        } catch (err) {
          log(`  ${kind}: ${(err as Error).message}`)
          results.idle.push(failedIdle(kind, idleCount, err as Error))
        }
      }
    }
    if (selected.has(6)) {
      log('workload 6: one 50 MB message')
      for (const kind of (['postern', 'haraka', 'sink', 'floor'] as const).filter((k) => servers.has(k))) {
        try {
          results.big.push(await runBig(ctx, kind, BIG_BYTES, BIG_SETTLE_MS))
        } catch (err) {
          log(`  ${kind}: ${(err as Error).message}`)
          results.big.push(failedBig(kind, err as Error))
        }
      }
    }
    if (selected.has(7)) {
      log('workload 7: start → first 220')
      const kinds = (['postern', 'haraka', 'sink', 'floor'] as const).filter((k) => servers.has(k))
      results.starts = await runStarts(ctx, kinds, Number(values.starts))
    }
  } finally {
    await dns?.stop()
    rmSync(root, { recursive: true, force: true })
  }
  const loadEnd = loadAverage()
  const machine = describeMachine()
  const table = [
    ...(results.throughput.length ? [...throughputTable(results), ''] : []),
    ...(results.idle.length || results.big.length || results.starts.size ? memoryTable(results) : []),
  ]
  const problems = notes(results)
  console.log('')
  console.log(
    `Postern vs Haraka ${machine.haraka} vs Postfix smtp-sink: medians of ${rounds} rounds (smtp-source, loopback)`,
  )
  console.log(machineLines(machine, loadStart, loadEnd).join('\n'))
  console.log('')
  console.log(table.join('\n'))
  if (problems.length) console.log(`\nNotes:\n${problems.join('\n')}`)
  const all = [1, 2, 3, 4, 5, 6, 7].every((n) => selected.has(n)) && servers.size === 4
  if (all && !values['no-write']) {
    const file = path.join(REPO_ROOT, 'docs', 'performance.md')
    writeFileSync(file, document(results, table, problems, machine, loadStart, loadEnd))
    log(`\nwrote ${path.relative(process.cwd(), file)}`)
  }
}

/** Each server's msg/s per timed round, to see the spread behind the medians. */
function roundsTable(results: Results): string[] {
  const lines = ['| workload | server | msg/s per round |', '|---|---|---|']
  for (const t of results.throughput)
    for (const r of t.runs)
      lines.push(
        `| ${t.label} | ${r.label || r.kind} | ${r.seconds.map((sec) => Math.round(t.load.messages / sec)).join(', ') || '–'} |`,
      )
  return lines
}

function failedIdle(kind: 'postern' | 'haraka' | 'floor', count: number, err: Error): IdleResult {
  return {
    kind,
    label: kind,
    before: Number.NaN,
    held: Number.NaN,
    afterClose: Number.NaN,
    greeted: 0,
    count,
    error: err.message,
  }
}

function failedBig(kind: 'postern' | 'haraka' | 'sink' | 'floor', err: Error): BigResult {
  return {
    kind,
    label: kind,
    before: Number.NaN,
    peak: Number.NaN,
    after: Number.NaN,
    seconds: Number.NaN,
    reply: `failed: ${err.message}`,
  }
}

function document(
  results: Results,
  table: string[],
  problems: string[],
  machine: ReturnType<typeof describeMachine>,
  loadStart: string,
  loadEnd: string,
): string {
  const w = (id: number) => THROUGHPUT.find((t) => t.id === id)!.load
  return `# Performance

<!-- Written by \`pnpm bench\` (packages/bench) from a run of the harness; do not edit by hand. -->

Postern against [Haraka](https://haraka.github.io) ${machine.haraka} and Postfix's \`smtp-sink\` on
the same machine, in the same run, driven by Postfix's \`smtp-source\` over loopback. Run on
${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, medians of ${results.rounds} rounds (servers alternated A B C A B C…).

## Machine

${machineLines(machine, loadStart, loadEnd).join('\n')}

Client, servers and DNS share these cores; nothing is pinned. A load average near or above the
number of cores means other work competed with the run: compare the ratios, which move less
than the absolute figures.

## Results

${table.join('\n')}
${problems.length ? `\n### Notes from the run\n\n${problems.join('\n')}\n` : ''}
## Every round (msg/s, in the order run)

${roundsTable(results).join('\n')}

## Method

- **Load**: \`smtp-source\` (HELO, no pipelining, waits for every reply), \`-M mx.example.net\`.
  Workload 1: ${w(1).messages} × ${w(1).bytes} B, ${w(1).sessions} sessions kept open (\`-d\`);
  2: ${w(2).messages} × ${w(2).bytes} B, a new connection per message; 3: ${w(3).messages} × ${w(3).bytes / 1024} KB,
  ${w(3).sessions} persistent sessions; 4: the load of 1 against the realistic chain; 4b: the same
  chain with the discard queue (a diagnostic row: what the chain costs without the disk). Each server
  gets an untimed warm-up of up to 500 messages first. msg/s = messages / median wall time.
- **Postern**: \`packages/smtpd/dist/cli.js\` (the \`postern\` command), one process, started
  as its installed bin starts it: \`node ${posternBinFlags().join(' ') || '(no flags)'}\` (the node flags
  of its \`#!\` line, which an installed \`postern\` runs with);
  plugins \`rcpt_ok\` (rcpthosts: example.com) + \`queue/discard\`; \`databytes\` 64 MiB,
  \`max_connections\` and \`max_connections_per_ip\` 20000; log level warn.
- **Haraka**: \`haraka -i\` instance, \`nodes=0\`, plugins \`rcpt_to.in_host_list\` + \`queue/discard\`
  (\`YES_REALLY_DO_DISCARD=1\`), log level warn, \`[max] bytes=67108864\`.
- **smtp-sink**: \`smtp-sink -u nobody 127.0.0.1:PORT 1024\` (no policy, no storage): what this client
  can push at all.
- **Realistic chain (4)**, as close as each server allows, all DNS against a local dnsmasq
  (127.0.0.53; Haraka in a private mount namespace with resolv.conf and hosts bind-mounted):
  - Postern: \`check_relay\` (2 relay networks) → \`check_badmailfrom\` (100 entries + 2 patterns)
    → \`check_badrcptto\` (100 + 1) → \`check_spamhelo\` → \`dnsbl\` (zone bl.example.net) →
    \`greylisting\` (client triplet white after a warm-up) → \`check_basicheaders past 15 future 2\`
    → \`check_loop\` → \`rcpt_ok\` → \`queue/maildir\` (fsync of the file and, batched, of new/).
  - Haraka: \`relay\` (ACL) → \`access\` (same lists) → \`helo.checks\` → \`dns-list\` → \`headers\` →
    \`rcpt_to.in_host_list\` → a 25-line Maildir queue with Haraka's \`FsyncWriteStream\` (fsync of the
    file, then rename; Haraka has no queue that also fsyncs the directory, so Postern does one
    fsync more per batch); a local plugin marks the loopback client public so \`helo.checks\` and
    \`dns-list\` do their work; loop check = core \`max_received\`. No greylisting: Haraka's plugin
    needs Redis.
  - Every round's messages are counted in the Maildir.
- **Idle (5)**: a fresh server, one transaction, then ${results.idleCount} connections opened (200
  handshakes in flight), each reads its 220 and stays silent; RSS (\`/proc/PID/status\` VmRSS)
  2 s later. smtp-sink greets only 256 sessions at a time, so it is left out.
- **Big message (6)**: a fresh server, a 1 KB and a 1 MB message first, then one ${Math.round(results.bigBytes / 1048576)} MB message (78-byte
  lines); peak = VmHWM, then RSS ${results.bigSettleMs / 1000} s later.
- **Node floor** (1–7): \`packages/bench/src/floor-server.mjs\`, run with Postern's node flags, a plain \`net\` server that greets,
  answers every command with 250 (354 to DATA) and discards the message, with no parsing, policy
  or plugin: what Node itself costs per command, per idle socket, for 50 MB read through \`data\`
  events, and to start. An SMTP server on Node does not go below it. In workload 4 the floor keeps
  each message as a durable Maildir queue must before its 250 (write tmp/, fsync, rename into
  new/, fsync new/ batched across concurrent messages), still with no parsing or policy: the
  disk's limit for any server that fsyncs each message, which bounds the chain's ratio too.
- **Start (7)**: from \`spawn()\` to the first \`220\` line read from the port (connect polled every
  2 ms), alternating the servers.

## Reproduce

\`\`\`sh
pnpm install && pnpm bench                     # all workloads; rewrites this file
pnpm bench --workloads 1,4 --rounds 2 --no-write
\`\`\`

The first run installs Haraka ${machine.haraka} into \`~/.cache/postern-bench/haraka\` and, as root,
Debian's \`postfix\` (debconf: "No configuration") and \`dnsmasq-base\`; it builds
\`@postern/smtpd\` and the plugins above with turbo (cached after the first time).
`
}

main().catch((err: Error) => {
  console.error(`bench failed: ${err.stack ?? err.message}`)
  process.exit(1)
})
