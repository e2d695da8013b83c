/**
 * Durations as plugins take them in arguments and config files: `1h`, `30m`, `2d`, `1w`, `45s`,
 * `500ms`, `1h30m`, or a bare number of seconds (qpsmtpd's plugins counted in seconds).
 */
const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
  ['w', 604_800_000],
])

/** Milliseconds, or undefined for anything else, so callers can say which argument was wrong. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase()
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(t)) return undefined
  let total = 0
  for (const [, n, , unit] of t.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d|w)/g))
    total += Number(n) * UNIT_MS.get(unit!)!
  return total
}

/** 5400000 → `1h30m`; for log lines and replies. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  let s = Math.round(ms / 1000)
  const parts: string[] = []
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`)
      s %= size
    }
  }
  if (s || !parts.length) parts.push(`${s}s`)
  return parts.join('')
}
