/**
 * The arguments of both generations: `check_basicheaders 5` (days past and future, the old
 * plugin's one positional argument) and `headers require From,Date past 30 future 2`.
 */
import { PluginArgs } from '@postern/core'

/** RFC 5322 §3.6: fields that may occur at most once. */
export const SINGULAR = [
  'Date',
  'From',
  'Sender',
  'Reply-To',
  'To',
  'Cc',
  'Bcc',
  'Message-Id',
  'In-Reply-To',
  'References',
  'Subject',
] as const

export interface HeaderOptions {
  readonly required: readonly string[]
  readonly singular: readonly string[]
  readonly pastDays: number | undefined
  readonly futureDays: number | undefined
}

function days(args: PluginArgs, key: string, fallback: number | undefined): number | undefined {
  const text = args.get(key)
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${key} must be a number of days, not ${text}`)
  return n === 0 ? undefined : n
}

function names(text: string | undefined, fallback: readonly string[]): readonly string[] {
  if (text === undefined) return fallback
  if (text.toLowerCase() === 'none') return []
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

export function parseHeaderArgs(line: PluginArgs): HeaderOptions {
  const first = line.at(0)
  const both = first !== undefined && /^\d+(\.\d+)?$/.test(first) ? Number(first) : undefined
  // After the old positional day count the words are pairs again (`check_basicheaders 5 singular none`).
  const args = both === undefined ? line : new PluginArgs(line.words.slice(1))
  return {
    required: names(args.get('require'), ['From', 'Date']),
    singular: names(args.get('singular'), SINGULAR),
    pastDays: days(args, 'past', both),
    futureDays: days(args, 'future', both),
  }
}
