/**
 * `queue/exec [qmail-queue|sendmail] [program] [key value]…`. The mode defaults to qmail-queue
 * (qpsmtpd's `queue/qmail-queue [path]` line works unchanged); the program defaults to
 * `$QMAILQUEUE` or /var/qmail/bin/qmail-queue, or /usr/sbin/sendmail in sendmail mode.
 */
import { accessSync, constants } from 'node:fs'
import path from 'node:path'
import type { PluginArgs, PluginConfig } from '@postern/core'
import { hookTimeoutMs, parsePluginWords, seconds } from '@postern/smtp-client'

export type ExecMode = 'qmail-queue' | 'sendmail'

export interface ExecOptions {
  mode: ExecMode
  program: string
  /** Line ends written to the program: LF (Unix text, default) or CRLF. */
  eol: '\n' | '\r\n'
  /** After SIGTERM at the deadline, SIGKILL follows after this many ms. */
  killGraceMs: number
  hookTimeoutMs: number
}

const NAME = 'queue/exec'
const MODES: readonly string[] = ['qmail-queue', 'sendmail']

export async function readOptions(args: PluginArgs, config: PluginConfig): Promise<ExecOptions> {
  const { positional, pairs } = parsePluginWords(NAME, args.words, {
    maxPositional: 2,
    keys: ['mode', 'program', 'eol', 'kill_grace'],
  })
  const words = [...positional]
  const mode = (MODES.includes(words[0] ?? '') ? words.shift() : pairs.get('mode')) ?? 'qmail-queue'
  if (!MODES.includes(mode)) throw new Error(`${NAME}: mode must be qmail-queue or sendmail, not "${mode}"`)
  if (words.length > 1) throw new Error(`${NAME}: one program path (use a wrapper script for arguments)`)
  const fallback =
    mode === 'sendmail' ? '/usr/sbin/sendmail' : (process.env.QMAILQUEUE ?? '/var/qmail/bin/qmail-queue')
  const given = words[0] ?? pairs.get('program')
  const program = given ? path.resolve(config.dir, given) : fallback
  try {
    accessSync(program, constants.X_OK)
  } catch {
    throw new Error(`${NAME}: ${program} is not an executable program`)
  }
  const eol = (pairs.get('eol') ?? 'lf').toLowerCase()
  if (eol !== 'lf' && eol !== 'crlf') throw new Error(`${NAME}: eol must be lf or crlf, not "${eol}"`)
  return {
    mode: mode as ExecMode,
    program,
    eol: eol === 'crlf' ? '\r\n' : '\n',
    killGraceMs: seconds(NAME, 'kill_grace', pairs.get('kill_grace'), 2),
    hookTimeoutMs: await hookTimeoutMs(pairs.get('hook_timeout'), config),
  }
}
