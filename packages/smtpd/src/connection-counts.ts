/**
 * Connection counting against `max_connections` and `max_connections_per_ip`. The server asks an
 * `Admissions` before greeting a connection and tells it when the connection ends; one process
 * counts in a `ConnectionCounts` of its own, `--workers N` asks the primary (cluster-admission.ts).
 */

/** What the server answers a new connection: greet it, or one of today's two 421 4.7.0 replies. */
export type AdmissionVerdict = 'admit' | 'over-total' | 'over-per-ip'

/** The limits in force (a worker's settings travel with each request: reloads apply as they land). */
export interface ConnectionLimits {
  readonly maxConnections: number
  readonly maxConnectionsPerIp: number
}

/**
 * Where connections are counted. `ip` undefined counts the connection in the total only (a listed
 * proxy, while its PROXY header is awaited). `open` answers synchronously where it can, so the
 * single-process path awaits nothing; every admitted `open` is matched by one `close` of the same ip.
 */
export interface Admissions {
  open(ip: string | undefined, limits: ConnectionLimits): AdmissionVerdict | Promise<AdmissionVerdict>
  close(ip: string | undefined): void
}

/** Counts in total and per IP; the in-process `Admissions`, and the primary's ledger. */
export class ConnectionCounts implements Admissions {
  total = 0
  /** Keyed by client input: a Map, never a plain object. */
  readonly perIp = new Map<string, number>()

  /** Counts the connection unless it is over a limit (then nothing is counted). */
  open(ip: string | undefined, limits: ConnectionLimits): AdmissionVerdict {
    if (this.total >= limits.maxConnections) return 'over-total'
    if (ip !== undefined && (this.perIp.get(ip) ?? 0) >= limits.maxConnectionsPerIp) return 'over-per-ip'
    this.count(ip)
    return 'admit'
  }

  /** Counts the connection whatever the limits (the primary's per-worker ledger). */
  count(ip: string | undefined): void {
    this.total++
    if (ip !== undefined) this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1)
  }

  /**
   * Uncounts one connection; false (and nothing changed) when none is counted for `ip`, so a
   * stray close (a worker that admitted on its own while the primary did not answer) cannot
   * drive the counts below what is really open.
   */
  close(ip: string | undefined): boolean {
    if (this.total === 0) return false
    if (ip !== undefined) {
      const n = this.perIp.get(ip)
      if (n === undefined) return false
      if (n <= 1) this.perIp.delete(ip)
      else this.perIp.set(ip, n - 1)
    }
    this.total--
    return true
  }

  /** Uncounts everything `gone` holds (a worker that exited, with its connections). */
  drop(gone: ConnectionCounts): void {
    this.total = Math.max(0, this.total - gone.total)
    for (const [ip, n] of gone.perIp) {
      const left = (this.perIp.get(ip) ?? 0) - n
      if (left <= 0) this.perIp.delete(ip)
      else this.perIp.set(ip, left)
    }
  }
}
