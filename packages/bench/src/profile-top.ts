/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof`, or `pnpm bench --cpu-prof DIR`).
 *   node --import tsx src/profile-top.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
  children?: number[]
}

interface Profile {
  nodes: Node[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const [file, n = '30'] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-top FILE.cpuprofile [N]')
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(prof.nodes.map((x) => [x.id, x]))
// Self time per node from the sample stream (timeDeltas are µs between samples).
const self = new Map<number, number>()
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i]!
  self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? 0))
}
const total = [...self.values()].reduce((a, b) => a + b, 0)
const byFn = new Map<string, number>()
for (const [id, us] of self) {
  const f = byId.get(id)!.callFrame
  const where = f.url
    ? `${f.url.replace(/^.*\/(node_modules|packages|core)\//, '$1/')}:${f.lineNumber + 1}`
    : ''
  const key = `${f.functionName || '(anonymous)'} ${where}`
  byFn.set(key, (byFn.get(key) ?? 0) + us)
}
// Inclusive time: every function on the stack of a sample, counted once per sample.
const parent = new Map<number, number>()
for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id)
const keyOf = (id: number) => {
  const f = byId.get(id)!.callFrame
  const where = f.url
    ? `${f.url.replace(/^.*\/(node_modules|packages|core)\//, '$1/')}:${f.lineNumber + 1}`
    : ''
  return `${f.functionName || '(anonymous)'} ${where}`
}
const inclusive = new Map<string, number>()
for (const [id, us] of self) {
  const seen = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = keyOf(cur)
    if (seen.has(k)) continue
    seen.add(k)
    inclusive.set(k, (inclusive.get(k) ?? 0) + us)
  }
}
const idle = [...byFn].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0)
console.log(`total ${(total / 1000).toFixed(0)} ms sampled, ${(idle / 1000).toFixed(0)} ms idle`)
for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
  console.log(
    `${((us / (total - idle)) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`,
  )
if (process.env.INCLUSIVE) {
  console.log('\ninclusive (self + callees):')
  for (const [k, us] of [...inclusive]
    .filter(([k]) => new RegExp(process.env.INCLUSIVE!).test(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(n)))
    console.log(
      `${((us / (total - idle)) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`,
    )
}
