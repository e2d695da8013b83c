/**
 * What the engine answers for each hook's verdict: qpsmtpd's reply mapping, with an enhanced
 * status code on each. A verdict's own text, enhanced code and `reply` override the defaults.
 */
import {
  DECLINED,
  DENY,
  DENY_DISCONNECT,
  DENYSOFT,
  DENYSOFT_DISCONNECT,
  type EnhancedCode,
  type HookResult,
  OK,
  type ReturnCode,
} from '@postern/core'

interface Entry {
  readonly code: number
  readonly text: string
  readonly enhanced: EnhancedCode
  readonly close?: true
}

type Table = Partial<Record<ReturnCode, Entry>>

const e = (code: number, text: string, enhanced: EnhancedCode, close?: true): Entry =>
  close ? { code, text, enhanced, close } : { code, text, enhanced }

function refusals(deny: Entry, soft: Entry, denyClose: number, softClose: number): Table {
  return {
    [DENY]: deny,
    [DENYSOFT]: soft,
    [DENY_DISCONNECT]: { ...deny, code: denyClose, close: true },
    [DENYSOFT_DISCONNECT]: { ...soft, code: softClose, close: true },
  }
}

export const REPLIES = {
  'pre-connection': refusals(
    e(550, 'Connection from you denied, bye bye.', '5.7.1', true),
    e(451, 'Connection from you temporarily denied, try again later', '4.7.1', true),
    550,
    451,
  ),
  connect: refusals(
    e(550, 'Connection from you denied, bye bye.', '5.7.1', true),
    e(450, 'Connection from you temporarily denied, try again later', '4.7.1', true),
    550,
    450,
  ),
  helo: refusals(
    e(550, 'Your HELO is not welcome here', '5.7.1'),
    e(450, 'Try again later', '4.7.1'),
    550,
    450,
  ),
  mail: refusals(e(550, 'Sender denied', '5.7.1'), e(450, 'Sender temporarily denied', '4.7.1'), 550, 421),
  rcpt: {
    ...refusals(
      e(550, 'Relaying denied', '5.7.1'),
      e(450, 'Recipient temporarily denied', '4.7.1'),
      550,
      421,
    ),
    [DECLINED]: e(450, 'No plugin decided if relaying is allowed', '4.7.1'),
  },
  data: refusals(e(554, 'Message denied', '5.7.1'), e(451, 'Message denied temporarily', '4.7.1'), 554, 421),
  data_headers_end: refusals(
    e(554, 'Message denied', '5.7.1'),
    e(451, 'Message denied temporarily', '4.7.1'),
    554,
    421,
  ),
  data_post: refusals(
    e(552, 'Message denied', '5.7.1'),
    e(452, 'Message denied temporarily', '4.7.1'),
    552,
    452,
  ),
  queue: {
    ...refusals(e(552, 'Message denied', '5.7.1'), e(452, 'Message denied temporarily', '4.3.0'), 552, 452),
    [OK]: e(250, 'Queued', '2.0.0'),
    [DECLINED]: e(451, 'Queuing declined or disabled; try again later', '4.3.0'),
  },
  vrfy: {
    [OK]: e(250, 'User OK', '2.1.5'),
    [DENY]: e(554, 'Access Denied', '5.7.1'),
    [DENYSOFT]: e(450, 'Try again later', '4.7.1'),
    [DECLINED]: e(252, "Just try sending a mail and we'll see how it turns out ...", '2.5.2'),
  },
  noop: {
    [DENY]: e(500, 'Stop wasting my time.', '5.5.1'),
    [DENY_DISCONNECT]: e(500, 'Stop wasting my time.', '5.5.1', true),
    [DECLINED]: e(250, 'OK', '2.0.0'),
  },
  help: {
    [DENY]: e(500, 'Syntax error, command not recognized', '5.5.1'),
  },
  unrecognized_command: refusals(
    e(500, 'Unrecognized command', '5.5.1'),
    e(450, 'Try again later', '4.5.1'),
    521,
    421,
  ),
  auth: {
    [OK]: e(235, 'Authentication successful', '2.7.0'),
    [DENY]: e(535, 'Authentication failed', '5.7.8'),
    [DENYSOFT]: e(454, 'Temporary authentication failure', '4.7.0'),
    [DENY_DISCONNECT]: e(535, 'Authentication failed', '5.7.8', true),
    [DECLINED]: e(535, 'Authentication failed', '5.7.8'),
  },
} as const satisfies Record<string, Table>

export type ReplyHook = keyof typeof REPLIES

export interface MappedReply {
  readonly code: number
  readonly lines: readonly string[]
  readonly enhanced: EnhancedCode
  readonly close: boolean
}

/**
 * The reply for a hook result, or undefined when the table has no entry (the caller's default
 * success path applies, e.g. 250 for an accepted sender).
 */
export function mapReply(hook: ReplyHook, result: HookResult): MappedReply | undefined {
  const entry = (REPLIES[hook] as Table)[result.code]
  if (!entry) return undefined
  return {
    code: result.reply ?? entry.code,
    lines: result.message.length ? result.message : [entry.text],
    enhanced: result.enhanced ?? entry.enhanced,
    close: entry.close ?? false,
  }
}
