/**
 * The runtime side of the hook table: each hook's kind; for first hooks, the codes the
 * dispatcher accepts from it; for reduce hooks, the check a returned value must pass. Typed
 * against HookTable, so the two cannot drift apart.
 */
import { DENY, DENY_DISCONNECT, DENYSOFT, DENYSOFT_DISCONNECT, DONE, OK } from './codes.js'
import type { FirstHookName, HookCodes, HookName, ReduceHookName, ReduceValue } from './hook-types.js'

/**
 * A reduce hook's value check: a plain-JS plugin can return anything, and a wrong value handed
 * on (a verdict object as the EHLO keyword list) would break the engine, not the plugin.
 */
interface ReduceCheck<K extends ReduceHookName> {
  readonly accepts: (value: unknown) => value is ReduceValue<K>
  /** What the hook wants, for the log line: `a string`. */
  readonly expects: string
}

type HookSpec<K extends HookName> = K extends FirstHookName
  ? { readonly kind: 'first'; readonly codes: readonly HookCodes<K>[] }
  : K extends ReduceHookName
    ? { readonly kind: 'reduce' } & ReduceCheck<K>
    : { readonly kind: 'notify' }

const REFUSALS = [DENY, DENYSOFT, DENY_DISCONNECT, DENYSOFT_DISCONNECT] as const
const SESSION = [OK, ...REFUSALS, DONE] as const
const AUTH = [OK, DENY, DENYSOFT, DENY_DISCONNECT] as const

const isString = (v: unknown): v is string => typeof v === 'string'
const A_STRING = { accepts: isString, expects: 'a string' } as const
const STRING_LIST = {
  accepts: (v: unknown): v is readonly string[] => Array.isArray(v) && v.every(isString),
  expects: 'an array of strings',
} as const

export const HOOKS: { readonly [K in HookName]: HookSpec<K> } = {
  'pre-connection': { kind: 'first', codes: [OK, ...REFUSALS] },
  connect: { kind: 'first', codes: SESSION },
  helo: { kind: 'first', codes: SESSION },
  ehlo: { kind: 'first', codes: SESSION },
  mail_pre: { kind: 'reduce', ...A_STRING },
  mail: { kind: 'first', codes: SESSION },
  rcpt_pre: { kind: 'reduce', ...A_STRING },
  rcpt: { kind: 'first', codes: SESSION },
  data: { kind: 'first', codes: SESSION },
  data_headers_end: { kind: 'first', codes: REFUSALS },
  data_post_headers: { kind: 'notify' },
  data_post: { kind: 'first', codes: SESSION },
  queue_pre: { kind: 'first', codes: [OK, DONE] },
  queue: { kind: 'first', codes: SESSION },
  queue_post: { kind: 'notify' },
  reset_transaction: { kind: 'notify' },
  disconnect: { kind: 'notify' },
  'post-connection': { kind: 'notify' },
  unrecognized_command: { kind: 'first', codes: [...REFUSALS, DONE] },
  vrfy: { kind: 'first', codes: [OK, DENY, DENYSOFT, DONE] },
  noop: { kind: 'first', codes: [OK, DENY, DENY_DISCONNECT, DONE] },
  help: { kind: 'first', codes: [OK, DENY, DONE] },
  quit: { kind: 'first', codes: [OK, DONE] },
  auth: { kind: 'first', codes: AUTH },
  'auth-plain': { kind: 'first', codes: AUTH },
  'auth-login': { kind: 'first', codes: AUTH },
  'auth-cram-md5': { kind: 'first', codes: AUTH },
  deny: { kind: 'notify' },
  ok: { kind: 'notify' },
  logging: { kind: 'first', codes: [OK] },
  config: { kind: 'first', codes: [OK] },
  user_config: { kind: 'first', codes: [OK] },
  received_line: { kind: 'reduce', ...A_STRING },
  capabilities: { kind: 'reduce', ...STRING_LIST },
}

export const HOOK_NAMES = Object.keys(HOOKS) as HookName[]

export function isHookName(name: string): name is HookName {
  return Object.hasOwn(HOOKS, name)
}

/** Hooks that neither fire `deny`/`ok` nor may log through the logging hook while running. */
export const META_HOOKS: ReadonlySet<HookName> = new Set<HookName>([
  'deny',
  'ok',
  'logging',
  'config',
  'user_config',
])
