/**
 * Small helpers: statistics, /proc readings, waiting for a banner. Linux only (the bench reads
 * /proc/<pid>/status for RSS and /proc/<pid>/stat for CPU time).
 */
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Median of the numbers (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (!values.length) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** A field of /proc/<pid>/status in bytes (`VmRSS`, `VmHWM`), or NaN if the process is gone. */
export function procKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
    return m ? Number(m[1]) * 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** User + system CPU time of a process in ms (from /proc/<pid>/stat, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return Number.NaN
  }
}

/** One connect attempt: resolves with the first line the server sends, or rejects. */
export function readBanner(port: number, host = '127.0.0.1', timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host })
    let buf = ''
    const done = (err: Error | undefined, line?: string) => {
      clearTimeout(timer)
      s.destroy()
      if (err) reject(err)
      else resolve(line!)
    }
    const timer = setTimeout(() => done(new Error('no banner')), timeoutMs)
    s.setEncoding('latin1')
    s.on('data', (d: string) => {
      buf += d
      const i = buf.indexOf('\n')
      if (i >= 0) {
        // Say goodbye so servers do not log a lost connection.
        s.write('QUIT\r\n')
        done(undefined, buf.slice(0, i).trimEnd())
      }
    })
    s.on('error', (e) => done(e))
    s.on('close', () => done(new Error('closed before a banner')))
  })
}

export const mb = (bytes: number) => (bytes / 1048576).toFixed(1)

/** Formats a number with thousands separators and no decimals. */
export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–')
