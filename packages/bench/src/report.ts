/**
 * The result table (Markdown, printed as is and written into docs/performance.md) and the goals
 * of issue 7 judged from this run's own figures.
 */
import type { Kind } from './configs.js'
import { LABEL } from './servers.js'
import type { Machine } from './setup.js'
import { int, mb, median } from './util.js'
import { type BigResult, type IdleResult, msgPerSec, type ThroughputResult } from './workloads.js'

/** Postern / Haraka throughput goals per workload. */
export const RATIO_GOALS: Record<number, number> = { 1: 2.5, 2: 2, 3: 1.5, 4: 3 }
export const IDLE_GOAL_KB = 4
export const BIG_GOAL_MB = 10
export const BIG_KEPT_MB = 5
export const START_GOAL_MS = 200

export interface Results {
  rounds: number
  throughput: ThroughputResult[]
  idle: IdleResult[]
  idleCount: number
  big: BigResult[]
  bigBytes: number
  bigSettleMs: number
  starts: Map<Kind, number[]>
}

const ok = (pass: boolean) => (pass ? 'met' : '**not met**')

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–'
}

export function throughputTable(results: Results): string[] {
  const lines = [
    '| workload | Postern msg/s | Haraka msg/s | smtp-sink msg/s | Postern / Haraka | goal | Postern / sink | Node floor msg/s (Postern / floor) | RSS after run, MB (Postern / Haraka / sink) | server CPU ms per msg (P / H / S) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const t of results.throughput) {
    const by = (k: Kind) => t.runs.find((r) => r.kind === k)
    const [p, h, s, f] = (['postern', 'haraka', 'sink', 'floor'] as const).map((k) =>
      msgPerSec(by(k), t.load),
    )
    // In workload 4 the floor writes the Maildir with fsync: it shows the disk's limit.
    const floorKind = t.label === '4' ? ', Maildir + fsync' : ''
    const floorText = by('floor') ? `${int(f!)}${floorKind} (${ratio(p!, f!)})` : '–'
    const goal = t.label === String(t.id) ? RATIO_GOALS[t.id] : undefined
    const goalText =
      goal === undefined
        ? ''
        : `≥ ${goal}× ${Number.isFinite(p) && Number.isFinite(h) ? ok(p! / h! >= goal) : '(no figure)'}`
    const rss = (['postern', 'haraka', 'sink'] as const).map((k) => {
      const r = by(k)?.rssAfter
      return r !== undefined && Number.isFinite(r) ? mb(r) : '–'
    })
    const cpu = (['postern', 'haraka', 'sink'] as const).map((k) => {
      const r = by(k)
      return r?.cpuMs.length ? (median(r.cpuMs) / t.load.messages).toFixed(2) : '–'
    })
    const hName = t.id === 4 ? 'Haraka chain' : ''
    const sinkText = by('sink') ? `${int(s!)}${t.id === 4 ? ' (plain)' : ''}` : '–'
    lines.push(
      `| ${t.label}: ${t.title} (${t.load.messages} msgs) | ${int(p!)} | ${int(h!)}${hName ? ` (${hName})` : ''} | ${sinkText} | ${ratio(p!, h!)} | ${goalText} | ${ratio(p!, s!)} | ${floorText} | ${rss.join(' / ')} | ${cpu.join(' / ')} |`,
    )
  }
  return lines
}

export function memoryTable(results: Results): string[] {
  const lines = ['| workload | server | figures | goal |', '|---|---|---|---|']
  for (const r of results.idle) {
    const perConn = (r.held - r.before) / r.count / 1024
    const goal =
      r.kind === 'postern'
        ? `≤ ${IDLE_GOAL_KB} KB/conn ${ok(perConn <= IDLE_GOAL_KB && r.greeted === r.count)}`
        : ''
    lines.push(
      `| 5: ${r.count} idle connections | ${r.label} | RSS ${mb(r.before)} → ${mb(r.held)} MB held = **${perConn.toFixed(1)} KB/conn** (${r.greeted}/${r.count} greeted); ${mb(r.afterClose)} MB after closing | ${goal} |`,
    )
  }
  for (const r of results.big) {
    const growth = (r.peak - r.before) / 1048576
    const kept = (r.after - r.before) / 1048576
    const goal =
      r.kind === 'postern'
        ? `< ${BIG_GOAL_MB} MB and given back ${ok(growth < BIG_GOAL_MB && kept <= BIG_KEPT_MB && r.reply.startsWith('250'))}`
        : ''
    lines.push(
      `| 6: one ${Math.round(results.bigBytes / 1048576)} MB message | ${r.label} | RSS ${mb(r.before)} MB, peak ${mb(r.peak)} MB (**+${growth.toFixed(1)} MB**), ${mb(r.after)} MB ${results.bigSettleMs / 1000} s later (kept ${kept.toFixed(1)} MB); ${r.seconds.toFixed(2)} s; "${r.reply.slice(0, 40)}" | ${goal} |`,
    )
  }
  for (const [kind, ms] of results.starts) {
    const label = LABEL[kind]
    const m = median(ms)
    const goal = kind === 'postern' ? `≤ ${START_GOAL_MS} ms ${ok(m <= START_GOAL_MS)}` : ''
    lines.push(
      `| 7: start → first 220 (${ms.length} starts) | ${label} | median **${m.toFixed(0)} ms** (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)}) | ${goal} |`,
    )
  }
  return lines
}

export function notes(results: Results): string[] {
  const out: string[] = []
  for (const t of results.throughput) {
    for (const r of t.runs) {
      for (const e of r.errors) out.push(`- wk${t.label} ${r.label || r.kind}: ${e.split('\n')[0]}`)
      for (const n of r.notes) out.push(`- wk${t.label} ${r.label}: ${n}`)
    }
    for (const n of t.notes) out.push(`- wk${t.label}: ${n}`)
  }
  return out
}

export function machineLines(m: Machine, loadStart: string, loadEnd: string): string[] {
  return [
    `- CPU: ${m.cpu}, ${m.cores} cores; ${m.memGb} GiB RAM; ${m.os}, kernel ${m.kernel}; ${m.disk} for temp files`,
    `- Node ${m.node}; Haraka ${m.haraka} (npm); Postfix ${m.postfix} (smtp-source, smtp-sink)`,
    `- load average (1, 5, 15 min): ${loadStart} at the start, ${loadEnd} at the end`,
  ]
}
