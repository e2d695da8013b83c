/**
 * The admission protocol of `postern --workers N`, over the cluster IPC channel: the primary
 * holds the counts for all workers, so `max_connections` and `max_connections_per_ip` are limits
 * of the whole server, not of each process.
 *   worker → primary  { postern: 'admission', op: 'open', id, ip?, maxConnections, maxConnectionsPerIp }
 *   primary → worker  { postern: 'admission', id, verdict }
 *   worker → primary  { postern: 'admission', op: 'close', ip? }   when an admitted connection ends
 * A worker that exits has its connections dropped from the counts.
 */
import type { Cluster, Worker } from 'node:cluster'
import {
  type Admissions,
  type AdmissionVerdict,
  ConnectionCounts,
  type ConnectionLimits,
} from './connection-counts.js'

/** How long a worker waits for the primary's verdict before deciding alone. */
export const ANSWER_TIMEOUT_MS = 1000

interface OpenRequest extends ConnectionLimits {
  postern: 'admission'
  op: 'open'
  id: number
  ip?: string
}

interface CloseNotice {
  postern: 'admission'
  op: 'close'
  ip?: string
}

interface Answer {
  postern: 'admission'
  id: number
  verdict: AdmissionVerdict
}

export type AdmissionMessage = OpenRequest | CloseNotice | Answer

/** The worker's end of the IPC channel: `process` in a cluster worker. */
export interface IpcChannel {
  readonly connected: boolean
  send?(message: AdmissionMessage, callback: (error: Error | null) => void): boolean
  on(event: 'message', listener: (message: unknown) => void): unknown
}

function isAdmission(m: unknown): m is AdmissionMessage {
  return typeof m === 'object' && m !== null && (m as { postern?: unknown }).postern === 'admission'
}

/** Send errors (a worker or primary already gone) are the exit handler's business, not ours. */
function ignore(): void {}

/** The primary: answers every worker's requests from one ledger, and one per worker. */
export function serveAdmissions(cluster: Cluster): void {
  const all = new ConnectionCounts()
  const byWorker = new Map<number, ConnectionCounts>()
  cluster.on('message', (worker: Worker, m: unknown) => {
    if (!isAdmission(m) || !('op' in m)) return
    let mine = byWorker.get(worker.id)
    if (!mine) {
      mine = new ConnectionCounts()
      byWorker.set(worker.id, mine)
    }
    if (m.op === 'close') {
      // Only what this worker holds: a close the primary never counted (a connection the worker
      // admitted alone) at worst frees one of its slots early, never another worker's.
      if (mine.close(m.ip)) all.close(m.ip)
      return
    }
    const verdict = all.open(m.ip, m)
    if (verdict === 'admit') mine.count(m.ip)
    const answer: Answer = { postern: 'admission', id: m.id, verdict }
    worker.send(answer, ignore)
  })
  cluster.on('exit', (worker: Worker) => {
    const gone = byWorker.get(worker.id)
    if (gone) all.drop(gone)
    byWorker.delete(worker.id)
  })
}

interface Pending {
  resolve(verdict: AdmissionVerdict): void
  ip: string | undefined
  timer: NodeJS.Timeout
}

/**
 * A worker's `Admissions`: asks the primary. It also counts its own connections, which costs
 * nothing over IPC and gives two things: a connection this worker alone is over a limit for is
 * refused without asking, and there is a fallback when the primary does not answer.
 *
 * No answer within ANSWER_TIMEOUT_MS (primary blocked, channel broken): the worker decides alone
 * by its own counts, i.e. fails open to the per-worker limits of older versions, and logs once
 * per outage. Failing closed would turn a stuck primary into refused mail for every client; the
 * per-worker limits still bound what one client can hold (N × max_connections_per_ip).
 */
export function workerAdmissions(channel: IpcChannel, warn: (message: string) => void): Admissions {
  const own = new ConnectionCounts()
  const pending = new Map<number, Pending>()
  let nextId = 0
  let warned = false

  const alone = (why: string): AdmissionVerdict => {
    if (!warned) {
      warned = true
      warn(
        `connection limits: ${why}; this worker counts its own connections only ` +
          '(limits apply per worker until the primary answers again)',
      )
    }
    return 'admit'
  }

  channel.on('message', (m: unknown) => {
    if (!isAdmission(m) || !('verdict' in m)) return
    const waiting = pending.get(m.id)
    // A late answer (after the timeout): the primary counted or refused a connection already
    // admitted here; its close tells the primary, which ignores it if it never counted it.
    if (!waiting) return
    warned = false
    pending.delete(m.id)
    clearTimeout(waiting.timer)
    if (m.verdict !== 'admit') own.close(waiting.ip)
    waiting.resolve(m.verdict)
  })

  return {
    open(ip, limits) {
      const mine = own.open(ip, limits)
      // Over a limit in this worker alone: over it in the whole server too.
      if (mine !== 'admit') return mine
      if (!channel.connected || !channel.send) return alone('no IPC channel to the primary')
      const id = ++nextId
      const request: OpenRequest = { postern: 'admission', op: 'open', id, ip, ...pick(limits) }
      return new Promise<AdmissionVerdict>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          resolve(alone(`the primary did not answer within ${ANSWER_TIMEOUT_MS} ms`))
        }, ANSWER_TIMEOUT_MS)
        timer.unref()
        pending.set(id, { resolve, ip, timer })
        channel.send!(request, ignore)
      })
    },
    close(ip) {
      own.close(ip)
      const notice: CloseNotice = { postern: 'admission', op: 'close', ip }
      if (channel.connected) channel.send?.(notice, ignore)
    },
  }
}

/** Only the two numbers go over the wire, not the whole Settings object. */
function pick({ maxConnections, maxConnectionsPerIp }: ConnectionLimits): ConnectionLimits {
  return { maxConnections, maxConnectionsPerIp }
}
