/**
 * Return codes, with qpsmtpd's names, values and meanings, and the verdict a hook returns.
 */

export const OK = 900
export const DENY = 901
export const DENYSOFT = 902
export const DENY_DISCONNECT = 903
export const DENYSOFT_DISCONNECT = 904
export const DECLINED = 909
export const DONE = 910

export type Ok = typeof OK
export type Deny = typeof DENY
export type DenySoft = typeof DENYSOFT
export type DenyDisconnect = typeof DENY_DISCONNECT
export type DenySoftDisconnect = typeof DENYSOFT_DISCONNECT
export type Declined = typeof DECLINED
export type Done = typeof DONE

export type ReturnCode = Ok | Deny | DenySoft | DenyDisconnect | DenySoftDisconnect | Declined | Done

const NAMES: ReadonlyMap<ReturnCode, string> = new Map<ReturnCode, string>([
  [OK, 'OK'],
  [DENY, 'DENY'],
  [DENYSOFT, 'DENYSOFT'],
  [DENY_DISCONNECT, 'DENY_DISCONNECT'],
  [DENYSOFT_DISCONNECT, 'DENYSOFT_DISCONNECT'],
  [DECLINED, 'DECLINED'],
  [DONE, 'DONE'],
])
const BY_NAME: ReadonlyMap<string, ReturnCode> = new Map([...NAMES].map(([code, name]) => [name, code]))

/** `901` → `'DENY'`; unknown numbers give `'UNKNOWN(n)'`. */
export function codeName(code: number): string {
  return NAMES.get(code as ReturnCode) ?? `UNKNOWN(${code})`
}

/** `'deny'`, `'DENY'` or `'901'` → 901; `DENYHARD` is qpsmtpd's old name for DENY_DISCONNECT. */
export function parseCode(text: string): ReturnCode | undefined {
  const upper = text.trim().toUpperCase()
  if (upper === 'DENYHARD') return DENY_DISCONNECT
  const byName = BY_NAME.get(upper)
  if (byName !== undefined) return byName
  const n = Number(upper)
  return NAMES.has(n as ReturnCode) ? (n as ReturnCode) : undefined
}

export function isReturnCode(value: unknown): value is ReturnCode {
  return typeof value === 'number' && NAMES.has(value as ReturnCode)
}

/** Codes that refuse something: they fire the `deny` meta hook. */
export function isDenial(code: ReturnCode): boolean {
  return code === DENY || code === DENYSOFT || code === DENY_DISCONNECT || code === DENYSOFT_DISCONNECT
}

/** Codes after which the engine closes the connection. */
export function isDisconnect(code: ReturnCode): boolean {
  return code === DENY_DISCONNECT || code === DENYSOFT_DISCONNECT
}

/** Codes that answer 4xx (try again later). */
export function isTemporary(code: ReturnCode): boolean {
  return code === DENYSOFT || code === DENYSOFT_DISCONNECT
}

/** An RFC 3463 enhanced status code: class.subject.detail, e.g. `5.7.1`. */
export type EnhancedCode = `${2 | 4 | 5}.${number}.${number}`

const ENHANCED_RE = /^[245]\.\d{1,3}\.\d{1,3}$/

export function isEnhancedCode(value: string): value is EnhancedCode {
  return ENHANCED_RE.test(value)
}

/**
 * What a hook decided. `message` may hold several lines (an array, or text with `\n`): the
 * engine sends them as a multi-line reply. `enhanced` is sent after the reply code; its class
 * digit is corrected to match the reply the engine sends (a `5.x.x` on a 4xx reply becomes `4.x.x`).
 * `reply` overrides the numeric SMTP code the engine would choose (e.g. 551 for a redirect).
 */
export interface Verdict<C extends ReturnCode = ReturnCode> {
  readonly code: C
  readonly message?: string | readonly string[]
  readonly enhanced?: EnhancedCode
  readonly reply?: number
}

/** What a hook may return: a verdict, or nothing (same as DECLINED). */
export type HookReturn<C extends ReturnCode> = Verdict<C> | undefined | void

type Text = string | readonly string[]

function verdict<C extends ReturnCode>(
  code: C,
  message?: Text,
  enhanced?: EnhancedCode,
  reply?: number,
): Verdict<C> {
  const v: { code: C; message?: Text; enhanced?: EnhancedCode; reply?: number } = { code }
  if (message !== undefined) v.message = message
  if (enhanced !== undefined) v.enhanced = enhanced
  if (reply !== undefined) v.reply = reply
  return v
}

export const ok = (message?: Text, enhanced?: EnhancedCode): Verdict<Ok> => verdict(OK, message, enhanced)
export const deny = (message?: Text, enhanced?: EnhancedCode, reply?: number): Verdict<Deny> =>
  verdict(DENY, message, enhanced, reply)
export const denysoft = (message?: Text, enhanced?: EnhancedCode, reply?: number): Verdict<DenySoft> =>
  verdict(DENYSOFT, message, enhanced, reply)
export const denyDisconnect = (
  message?: Text,
  enhanced?: EnhancedCode,
  reply?: number,
): Verdict<DenyDisconnect> => verdict(DENY_DISCONNECT, message, enhanced, reply)
export const denysoftDisconnect = (
  message?: Text,
  enhanced?: EnhancedCode,
  reply?: number,
): Verdict<DenySoftDisconnect> => verdict(DENYSOFT_DISCONNECT, message, enhanced, reply)
export const declined = (): Verdict<Declined> => verdict(DECLINED)
/** The plugin has written its own reply (through `ctx.respond`); the engine stays silent. */
export const done = (): Verdict<Done> => verdict(DONE)

/** Splits a verdict's message into reply lines: arrays as given, strings at `\n` (CR removed). */
export function messageLines(message: Text | undefined): string[] {
  if (message === undefined) return []
  const parts = typeof message === 'string' ? [message] : message
  const out: string[] = []
  for (const part of parts) for (const line of part.split('\n')) out.push(line.replace(/\r/g, ''))
  return out
}
