/**
 * One SPF evaluation with mailauth 4.13 (the last line that runs on Node 20), bounded by our own
 * deadline: a record with many includes makes up to ten lookups one after another, each allowed
 * the resolver's full timeout, which could outlast the hook's.
 */
import type { DnsResolver } from '@postern/core'
import { spf } from 'mailauth/lib/spf/index.js'
import { mailauthResolver } from './resolver.js'

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror'

/** `mailfrom`: the MAIL FROM identity; `helo`: the HELO identity (also MAIL FROM `<>`). */
export type SpfScope = 'mailfrom' | 'helo'

export interface SpfOutcome {
  readonly result: SpfResult
  readonly scope: SpfScope
  /** The domain whose policy was evaluated. */
  readonly domain: string
  /** The identity: the sender address, or `postmaster@<helo>`. */
  readonly sender: string
  readonly ip: string
  readonly helo: string | undefined
  /** mailauth's explanation, without its `host:` prefix. */
  readonly comment: string
  /** The SPF record that decided, when there was one. */
  readonly record: string | undefined
}

export interface SpfRequest {
  readonly dns: DnsResolver
  readonly sender: string
  readonly scope: SpfScope
  readonly ip: string
  readonly helo: string | undefined
  /** Our host name, for the explanation texts. */
  readonly mta: string
  readonly timeoutMs: number
}

const RESULTS = new Set<string>(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror'])

export async function checkSpf(req: SpfRequest): Promise<SpfOutcome> {
  const domain = req.sender.slice(req.sender.lastIndexOf('@') + 1).toLowerCase()
  const base = { scope: req.scope, domain, sender: req.sender, ip: req.ip, helo: req.helo }
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), req.timeoutMs)
  })
  try {
    const answer = await Promise.race([
      spf({
        sender: req.sender,
        ip: req.ip,
        ...(req.helo ? { helo: req.helo } : {}),
        mta: req.mta,
        resolver: mailauthResolver(req.dns),
      }),
      deadline,
    ])
    if (answer === 'timeout')
      return {
        ...base,
        result: 'temperror',
        comment: `SPF check timed out after ${req.timeoutMs} ms`,
        record: undefined,
      }
    const raw = answer.status.result
    const result: SpfResult = RESULTS.has(raw) ? (raw as SpfResult) : 'temperror'
    const comment = (answer.status.comment ?? '').replace(`${req.mta}: `, '')
    return { ...base, result, comment, record: answer.rr }
  } catch (err) {
    return { ...base, result: 'temperror', comment: (err as Error).message, record: undefined }
  } finally {
    clearTimeout(timer)
  }
}
