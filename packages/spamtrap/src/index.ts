/**
 * spamtrap: addresses that only spammers write to. A message to one of them is accepted (the
 * trap is not revealed) and diverted: when DATA starts, its recipients are replaced with the
 * trap's destination, so nobody it was meant for receives it, and an `X-Spamtrap` header names
 * the traps hit. config/spamtrap lines are `trap [destination]`; the trap is an address,
 * `@host` or a pattern; the destination defaults to the `destination` argument.
 */
import { AddressList, type ListEntry, sessionImmunity } from '@postern/address-lists'
import { Address, ConfigError, type ConfigLine, definePlugin, ok } from '@postern/core'
import { peerDependencies } from '../package.json'

/** Transaction note: the traps hit and where the message goes. */
export const NOTE_SPAMTRAP = 'spamtrap'

interface Hit {
  readonly trap: string
  readonly destination: string
}

function parseTraps(lines: readonly ConfigLine[], fallback: string | undefined): AddressList {
  const list = AddressList.parse(lines)
  for (const e of list.entries) {
    const destination = e.reason ?? fallback
    if (!destination)
      throw new ConfigError(
        `trap ${e.text} has no destination (and no "destination" argument)`,
        e.file,
        e.line,
      )
    if (!Address.tryParse(`<${destination}>`, { utf8: true }))
      throw new ConfigError(`destination ${destination} is not an address`, e.file, e.line)
  }
  return list
}

function destinationOf(e: ListEntry, fallback: string | undefined): string {
  return (e.reason ?? fallback)!.toLowerCase()
}

export default definePlugin({
  name: 'spamtrap',
  core: peerDependencies['@postern/core'],
  description: 'Diverts messages sent to trap addresses',
  async setup({ config, args }) {
    const fallback = args.get('destination')
    if (fallback !== undefined && !Address.tryParse(`<${fallback}>`, { utf8: true }))
      throw new Error(`spamtrap: destination ${fallback} is not an address`)
    const traps = await config.parsed('spamtrap', (lines) => parseTraps(lines, fallback))
    return {
      async rcpt(ctx, recipient) {
        const immune = sessionImmunity(ctx.connection, ctx.transaction)
        if (immune) return ctx.log.result('skip', immune)
        const hit = (await traps.get()).match(recipient)
        if (!hit) return
        const tx = ctx.transaction
        const hits = tx.notes.value<Hit[]>(NOTE_SPAMTRAP) ?? []
        hits.push({ trap: recipient.address, destination: destinationOf(hit, fallback) })
        tx.notes.set(NOTE_SPAMTRAP, hits)
        ctx.connection.notes.set(NOTE_SPAMTRAP, (ctx.connection.notes.value<number>(NOTE_SPAMTRAP) ?? 0) + 1)
        ctx.log.result('fail', `${recipient.address} is a spam trap (${hit.file}:${hit.line})`)
        return ok()
      },
      data(ctx) {
        const hits = ctx.transaction.notes.value<Hit[]>(NOTE_SPAMTRAP)
        if (!hits?.length) return
        const destinations = [...new Set(hits.map((h) => h.destination))]
        ctx.transaction.setRecipients(destinations.map((d) => Address.parse(`<${d}>`, { utf8: true })))
        ctx.log.info(
          `message to spam trap ${hits.map((h) => h.trap).join(', ')} diverted to ${destinations.join(', ')}`,
        )
      },
      data_post_headers(ctx) {
        const hits = ctx.transaction.notes.value<Hit[]>(NOTE_SPAMTRAP)
        if (hits?.length)
          ctx.transaction.header?.add('X-Spamtrap', hits.map((h) => h.trap).join(', '), 'prepend')
      },
    }
  },
})
