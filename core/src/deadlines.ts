/**
 * One timer for many deadlines. Every async hook call has a deadline; arming a setTimeout per
 * call costs more than the call itself, so calls register here and a single timer, set for the
 * earliest deadline, expires whatever is due.
 */
interface Entry {
  at: number
  fire: () => void
}

const entries = new Set<Entry>()
let timer: NodeJS.Timeout | undefined
let armedFor = Number.POSITIVE_INFINITY

function arm(at: number): void {
  if (timer && at >= armedFor) return
  if (timer) clearTimeout(timer)
  armedFor = at
  timer = setTimeout(expire, Math.max(0, at - Date.now()))
  // A pending deadline alone must not keep the process alive.
  timer.unref()
}

function expire(): void {
  timer = undefined
  armedFor = Number.POSITIVE_INFINITY
  const now = Date.now()
  let next = Number.POSITIVE_INFINITY
  for (const e of entries) {
    if (e.at <= now) {
      entries.delete(e)
      e.fire()
    } else if (e.at < next) next = e.at
  }
  if (next !== Number.POSITIVE_INFINITY) arm(next)
}

/** Calls `fire` after `ms` unless the returned cancel function is called first. */
export function deadline(ms: number, fire: () => void): () => void {
  const e: Entry = { at: Date.now() + ms, fire }
  entries.add(e)
  arm(e.at)
  return () => {
    entries.delete(e)
  }
}
