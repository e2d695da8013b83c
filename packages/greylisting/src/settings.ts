/**
 * The settings that may differ per recipient (qpsmtpd's `denysoft_greylist` keys), and how they
 * are merged: defaults, then the `denysoft_greylist` config file, then the `config/plugins`
 * arguments, then (with `per_recipient 1`) what `user_config` gives for the recipient.
 */
import { parseDuration } from '@postern/core'
import type { Timeouts } from './record.js'

export interface Settings {
  readonly remoteIp: boolean
  readonly sender: boolean
  readonly recipient: boolean
  readonly denyLate: boolean
  readonly timeouts: Timeouts
  /** False: track and log, never defer (qpsmtpd's `reject 0`, or `mode testonly`). */
  readonly reject: boolean
  /** True: do nothing (`mode off`): with `per_recipient 1`, recipients opt in with `mode denysoft`. */
  readonly off: boolean
}

export const DEFAULTS: Settings = {
  remoteIp: true,
  sender: false,
  recipient: false,
  denyLate: false,
  timeouts: { black: 50 * 60_000, grey: 3 * 3_600_000 + 20 * 60_000, white: 36 * 86_400_000 },
  reject: true,
  off: false,
}

export const SETTING_KEYS: ReadonlySet<string> = new Set([
  'remote_ip',
  'sender',
  'recipient',
  'deny_late',
  'black_timeout',
  'grey_timeout',
  'white_timeout',
  'reject',
  'mode',
])

function bool(v: string): boolean | undefined {
  const t = v.toLowerCase()
  if (['1', 'yes', 'true', 'on'].includes(t)) return true
  if (['0', 'no', 'false', 'off'].includes(t)) return false
  return undefined
}

/**
 * Applies `key value` pairs over `base`. A bad value throws (at load it refuses the plugin with
 * the message; per recipient the caller logs it and keeps the base).
 */
export function applySettings(base: Settings, pairs: Iterable<readonly [string, string]>): Settings {
  const s = { ...base, timeouts: { ...base.timeouts } }
  for (const [key, value] of pairs) {
    const flag = () => {
      const b = bool(value)
      if (b === undefined) throw new Error(`${key}: expected 0 or 1, not ${value}`)
      return b
    }
    const time = () => {
      const ms = parseDuration(value)
      if (ms === undefined || ms <= 0)
        throw new Error(`${key}: expected seconds or a duration (50m, 36d), not ${value}`)
      return ms
    }
    switch (key) {
      case 'remote_ip':
        s.remoteIp = flag()
        break
      case 'sender':
        s.sender = flag()
        break
      case 'recipient':
        s.recipient = flag()
        break
      case 'deny_late':
        s.denyLate = flag()
        break
      case 'black_timeout':
        s.timeouts.black = time()
        break
      case 'grey_timeout':
        s.timeouts.grey = time()
        break
      case 'white_timeout':
        s.timeouts.white = time()
        break
      case 'reject':
        s.reject = flag()
        break
      case 'mode': {
        const m = value.toLowerCase()
        if (m !== 'denysoft' && m !== 'testonly' && m !== 'off')
          throw new Error(`mode: expected denysoft, testonly or off, not ${value}`)
        s.off = m === 'off'
        s.reject = m === 'denysoft'
        break
      }
      default:
        break // other plugin arguments (store_down, per_recipient…) are not per-recipient settings
    }
  }
  if (!s.remoteIp && !s.sender && !s.recipient)
    throw new Error('enable at least one of remote_ip, sender or recipient')
  if (s.timeouts.grey <= s.timeouts.black) throw new Error('grey_timeout must be longer than black_timeout')
  return s
}

/** `key value` lines (the `denysoft_greylist` file) → pairs; a line without a value is an error. */
export function settingLines(lines: readonly string[]): [string, string][] {
  return lines.map((l) => {
    const [key = '', ...rest] = l.trim().split(/\s+/)
    return [key, rest.join(' ')]
  })
}
