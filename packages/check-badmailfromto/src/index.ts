/**
 * check_badmailfromto: sender/recipient pairs in config/badmailfromto are refused at RCPT as if
 * the recipient did not exist, so the sender learns nothing about being blocked (meant for
 * harassment). Each side is an address or `@host`.
 */

import { addressKey, isPatternEntry, type ListEntry, parseEntry, splitKey } from '@postern/address-lists'
import { ConfigError, type ConfigLine, definePlugin } from '@postern/core'
import { peerDependencies } from '../package.json'

interface Pair {
  readonly from: ListEntry
  readonly to: ListEntry
}

const SIDE = { patterns: false, bare: 'skip' } as const

function matches(entry: ListEntry, key: string): boolean {
  return entry.kind === 'host' ? splitKey(key).host === entry.value : key === entry.value
}

function parsePairs(lines: readonly ConfigLine[], warn: (message: string) => void): Map<string, Pair[]> {
  // Indexed by the sender side (an address or a host) so RCPT looks up two keys, not every line.
  const bySender = new Map<string, Pair[]>()
  lines.forEach((l, index) => {
    const [fromText, toText] = l.value.split(/\s+/)
    if (!fromText || !toText) {
      warn(`${l.file}:${l.line}: needs a sender and a recipient, line skipped`)
      return
    }
    if (isPatternEntry(fromText) || isPatternEntry(toText))
      throw new ConfigError('patterns are not supported here', l.file, l.line)
    const where = { file: l.file, line: l.line, index }
    const from = parseEntry(fromText, undefined, where, SIDE, warn)
    const to = parseEntry(toText, undefined, where, SIDE, warn)
    if (!from || !to) return
    const key = from.kind === 'host' ? `@${from.value}` : from.value
    const list = bySender.get(key) ?? []
    list.push({ from, to })
    bySender.set(key, list)
  })
  return bySender
}

export default definePlugin({
  name: 'check_badmailfromto',
  aliases: ['badmailfromto'],
  core: peerDependencies['@postern/core'],
  description: 'Refuses listed sender/recipient pairs as if the recipient did not exist',
  async setup({ config, log }) {
    const pairs = await config.parsed('badmailfromto', (lines) => parsePairs(lines, (m) => log.warn(m)))
    return {
      async rcpt(ctx, recipient) {
        const sender = ctx.transaction.sender
        if (!sender || sender.isNull || !recipient.host) return
        const from = addressKey(sender)
        const to = addressKey(recipient)
        const map = await pairs.get()
        const candidates = [...(map.get(from) ?? []), ...(map.get(`@${sender.host}`) ?? [])]
        const hit = candidates.find((p) => matches(p.from, from) && matches(p.to, to))
        if (!hit) return ctx.log.result('pass')
        return ctx.reject(
          'No such user',
          '5.1.1',
          `${from} to ${to} is listed in badmailfromto (${hit.from.file}:${hit.from.line})`,
        )
      },
    }
  },
})
