/**
 * qpsmtpd's `reject` levels for SPF (sender_permitted_from), with RFC 7372's enhanced codes:
 *
 *   0, 1  annotate only (headers, notes), never refuse
 *   2     also defer (4xx) on fail and on temperror
 *   3     refuse (5xx) fail; defer softfail; defer permerror only from 4
 *   4     also refuse softfail; defer permerror
 *   5     also refuse neutral
 *   6     also refuse none and permerror
 */
import { DENY, DENYSOFT, type EnhancedCode, type RefusalCode } from '@postern/core'
import type { SpfOutcome } from './check.js'

export interface SpfRefusal {
  readonly code: RefusalCode
  readonly message: string
  readonly enhanced: EnhancedCode
}

export function parseLevel(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 6)
    throw new Error(`reject must be a level from 0 to 6, not ${JSON.stringify(value)}`)
  return n
}

export function refusalFor(outcome: SpfOutcome, level: number): SpfRefusal | undefined {
  const why = outcome.comment || `${outcome.domain} SPF ${outcome.result}`
  const deny = (message: string, enhanced: EnhancedCode): SpfRefusal => ({ code: DENY, message, enhanced })
  const defer = (message: string, enhanced: EnhancedCode): SpfRefusal => ({
    code: DENYSOFT,
    message,
    enhanced,
  })
  switch (outcome.result) {
    case 'pass':
      return undefined
    case 'fail':
      if (level >= 3) return deny(`SPF - forgery: ${why}`, '5.7.23')
      return level >= 2 ? defer(`SPF - fail: ${why}`, '4.7.23') : undefined
    case 'softfail':
      if (level >= 4) return deny(`SPF - fail: ${why}`, '5.7.23')
      return level >= 3 ? defer(`SPF - fail: ${why}`, '4.7.23') : undefined
    case 'neutral':
      return level >= 5 ? deny(`SPF - neutral: ${why}`, '5.7.23') : undefined
    case 'none':
      return level >= 6 ? deny(`SPF - none: ${why}`, '5.7.23') : undefined
    case 'permerror':
      if (level >= 6) return deny(`SPF - permerror: ${why}`, '5.7.24')
      return level >= 4 ? defer(`SPF - permerror: ${why}`, '4.7.24') : undefined
    case 'temperror':
      return level >= 2 ? defer(`SPF - temperror: ${why}`, '4.7.24') : undefined
  }
}
