/**
 * The workloads. Throughput ones (1–4) start every server once, warm each up, then run
 * smtp-source against them in turn, round after round (A B C A B C …), and keep every round's
 * time; the table shows medians. Memory ones (5, 6) and the start time (7) use fresh processes.
 */
import { holdIdle, type SourceLoad, sendOne, smtpSource } from './clients.js'
import type { Kind, Variant } from './configs.js'
import { type Context, plan, type RunningServer, start } from './servers.js'
import { median, sleep } from './util.js'

export interface ServerRun {
  kind: Kind
  label: string
  /** Seconds per timed round. */
  seconds: number[]
  /** Server CPU ms per timed round. */
  cpuMs: number[]
  rssAfter: number
  errors: string[]
  notes: string[]
}

export interface ThroughputResult {
  id: number
  label: string
  title: string
  load: SourceLoad
  runs: ServerRun[]
  notes: string[]
}

export interface Throughput {
  id: number
  /** As printed: `1`, `4b`. */
  label: string
  title: string
  load: SourceLoad
  variant: Variant
  kinds: Kind[]
}

export const THROUGHPUT: readonly Throughput[] = [
  {
    id: 1,
    label: '1',
    title: '1 KB, 10 persistent sessions',
    load: { messages: 5000, sessions: 10, bytes: 1024, persistent: true },
    variant: 'base',
    kinds: ['postern', 'haraka', 'sink', 'floor'],
  },
  {
    id: 2,
    label: '2',
    title: '1 KB, new connection per message',
    load: { messages: 2000, sessions: 10, bytes: 1024, persistent: false },
    variant: 'base',
    kinds: ['postern', 'haraka', 'sink', 'floor'],
  },
  {
    id: 3,
    label: '3',
    title: '100 KB, 10 persistent sessions',
    load: { messages: 1000, sessions: 10, bytes: 102400, persistent: true },
    variant: 'base',
    kinds: ['postern', 'haraka', 'sink', 'floor'],
  },
  {
    id: 4,
    label: '4',
    title: 'realistic chain, Maildir + fsync (load of 1)',
    load: { messages: 5000, sessions: 10, bytes: 1024, persistent: true },
    variant: 'chain',
    // The floor here keeps every message in a Maildir with fsync: the disk's own limit.
    kinds: ['postern', 'haraka', 'sink', 'floor'],
  },
  {
    // Diagnostic, no goal: the same chain with the discard queue shows what the disk costs.
    id: 4,
    label: '4b',
    title: 'same chain, discard queue (no disk)',
    load: { messages: 5000, sessions: 10, bytes: 1024, persistent: true },
    variant: 'chain-discard',
    kinds: ['postern', 'haraka'],
  },
]

/** Postern's greylisting defers an unknown client once; after black_timeout (1 s) it is white. */
async function whitelistForGreylisting(s: RunningServer): Promise<string | undefined> {
  const first = await sendOne(s.plan.port)
  if (!first.startsWith('450') && !first.startsWith('250'))
    return `greylisting warm-up: first message got "${first}"`
  await sleep(1100)
  const second = await sendOne(s.plan.port)
  return second.startsWith('250') ? undefined : `greylisting warm-up: retry got "${second}"`
}

export async function runThroughput(
  ctx: Context,
  w: Throughput,
  rounds: number,
  log: (s: string) => void,
): Promise<ThroughputResult> {
  const notes: string[] = []
  const servers: RunningServer[] = []
  const runs: ServerRun[] = []
  try {
    for (const kind of w.kinds) {
      // smtp-sink and the Node floor have no policy: the same process in every workload, except
      // that the floor writes a Maildir where the chain does.
      const variant = kind === 'sink' || (kind === 'floor' && w.variant !== 'chain') ? 'base' : w.variant
      const run: ServerRun = {
        kind,
        label: '',
        seconds: [],
        cpuMs: [],
        rssAfter: Number.NaN,
        errors: [],
        notes: [],
      }
      runs.push(run)
      try {
        const s = await start(plan(ctx, kind, variant))
        run.label = s.label
        servers.push(s)
      } catch (err) {
        run.label = kind
        run.errors.push((err as Error).message)
        log(`  ${kind}: ${(err as Error).message.split('\n')[0]}`)
      }
    }
    const live = servers
    // Warm-up, untimed: JIT, connection pools, the greylisting triplet.
    for (const s of live) {
      const run = runs.find((r) => r.kind === s.plan.kind)!
      if (s.plan.kind === 'postern' && w.variant !== 'base') {
        const problem = await whitelistForGreylisting(s)
        if (problem) run.errors.push(problem)
      }
      const warm = await smtpSource(s.plan.port, { ...w.load, messages: Math.min(w.load.messages, 500) })
      if (warm.errors) run.errors.push(`warm-up: ${warm.errors.split('\n')[0]}`)
      s.cleanMaildir()
      // Notes report what the timed rounds logged, not start-up (Haraka's DNSBL self-test
      // answers "no zones" until it has run).
      s.clearStderr()
    }
    for (let r = 0; r < rounds; r++) {
      for (const s of live) {
        const run = runs.find((x) => x.kind === s.plan.kind)!
        s.cleanMaildir()
        await sleep(200)
        const cpu0 = s.cpuMs()
        const res = await smtpSource(s.plan.port, w.load)
        run.cpuMs.push(s.cpuMs() - cpu0)
        if (res.errors) run.errors.push(`round ${r + 1}: ${res.errors.split('\n')[0]}`)
        else run.seconds.push(res.seconds)
        if (s.plan.maildir) {
          const n = s.delivered()
          if (n !== w.load.messages)
            run.errors.push(`round ${r + 1}: ${n} of ${w.load.messages} messages in the Maildir`)
        }
        log(
          `  wk${w.label} round ${r + 1}/${rounds} ${s.label.padEnd(9)} ${res.errors ? 'ERROR' : `${(w.load.messages / res.seconds).toFixed(0)} msg/s`}`,
        )
      }
    }
    for (const s of live) {
      const run = runs.find((x) => x.kind === s.plan.kind)!
      run.rssAfter = s.rss()
      if (s.stderr.trim() && s.plan.kind !== 'sink') {
        // Errors only: both servers print start-up chatter.
        const warn = s.stderr
          .trim()
          .split('\n')
          .filter((l) => /\b(error|crit|emerg|fail(ed)?)\b/i.test(l) && !/tls (key|cert)/.test(l))
        if (warn.length) run.notes.push(`stderr: ${warn.slice(-1)[0]!.slice(0, 200)}`)
      }
    }
  } finally {
    for (const s of servers) await s.stop()
  }
  return { id: w.id, label: w.label, title: w.title, load: w.load, runs, notes }
}

export function msgPerSec(run: ServerRun | undefined, load: SourceLoad): number {
  if (!run?.seconds.length) return Number.NaN
  return load.messages / median(run.seconds)
}

// ---- workload 5: idle connections ----

export interface IdleResult {
  kind: Kind
  label: string
  before: number
  held: number
  afterClose: number
  greeted: number
  count: number
  error?: string
}

export async function runIdle(ctx: Context, kind: Kind, count: number): Promise<IdleResult> {
  const s = await start(plan(ctx, kind, 'base'))
  try {
    // One transaction first, so what is measured is per-connection, not first-use, memory.
    await sendOne(s.plan.port)
    await sleep(1000)
    const before = s.rss()
    const idle = await holdIdle(s.plan.port, count)
    await sleep(2000)
    const held = s.rss()
    await idle.close()
    await sleep(2000)
    return { kind, label: s.label, before, held, afterClose: s.rss(), greeted: idle.greeted, count }
  } finally {
    await s.stop()
  }
}

// ---- workload 6: one big message ----

export interface BigResult {
  kind: Kind
  label: string
  before: number
  peak: number
  after: number
  seconds: number
  reply: string
}

export async function runBig(ctx: Context, kind: Kind, bytes: number, settleMs: number): Promise<BigResult> {
  const s = await start(plan(ctx, kind, 'base'))
  try {
    // Warm-up on the same paths (a small and a 1 MB message), so "before" is the steady state.
    await sendOne(s.plan.port)
    await sendOne(s.plan.port, 1024 * 1024)
    await sleep(1000)
    const before = s.rss()
    const t0 = performance.now()
    const reply = await sendOne(s.plan.port, bytes)
    const seconds = (performance.now() - t0) / 1000
    const peak = s.peakRss()
    await sleep(settleMs)
    return { kind, label: s.label, before, peak, after: s.rss(), seconds, reply }
  } finally {
    await s.stop()
  }
}

// ---- workload 7: start time ----

export async function runStarts(
  ctx: Context,
  kinds: readonly Kind[],
  n: number,
): Promise<Map<Kind, number[]>> {
  const out = new Map<Kind, number[]>(kinds.map((k) => [k, []]))
  for (let i = 0; i < n; i++) {
    for (const kind of kinds) {
      const s = await start(plan(ctx, kind, 'base'))
      out.get(kind)!.push(s.startMs)
      await s.stop()
    }
  }
  return out
}
