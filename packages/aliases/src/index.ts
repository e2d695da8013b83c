/**
 * aliases: recipients at the domains config/aliases covers are looked up there. Unknown ones are
 * refused (550 5.1.1); known ones are left to the next plugin (rcpt_ok accepts the domain), with
 * their per-recipient options stored as address notes. Aliases are expanded when DATA starts:
 * the transaction's recipients become the targets, keeping the recipient's extension.
 */
import { Address, definePlugin } from '@postern/core'
import { peerDependencies } from '../package.json'
import { expand, lookup } from './expand.js'
import { parseAliases } from './file.js'

/** Address note: the addresses this recipient expands to (lower-cased). */
export const NOTE_EXPANSION = 'aliases'
/** Address note on an expanded address: the recipient it came from. */
export const NOTE_ORIGINAL = 'aliases_original'

export default definePlugin({
  name: 'aliases',
  core: peerDependencies['@postern/core'],
  description: 'Refuses unknown recipients and expands aliases from config/aliases',
  async setup({ config, args }) {
    const separators = args.string('extn', '+')
    const file = await config.parsed('aliases', parseAliases)
    return {
      async rcpt(ctx, recipient) {
        const domain = recipient.host.toLowerCase()
        const aliases = await file.get()
        if (!domain || !aliases.domains.has(domain))
          return ctx.log.result('skip', `${domain || 'no domain'} not covered`)
        const user = recipient.user.toLowerCase()
        const found = lookup(aliases, user, domain, separators)
        if (!found) return ctx.reject('No such user', '5.1.1', `${recipient.address} not in aliases`)
        const { addresses, options } = expand(aliases, user, domain, found, separators)
        for (const [k, v] of options) recipient.notes.set(k, v)
        const self = `${user}@${domain}`
        if (addresses.length !== 1 || addresses[0] !== self) recipient.notes.set(NOTE_EXPANSION, addresses)
        ctx.log.result(
          'pass',
          `${recipient.address} (${found.alias.file}:${found.alias.line})${addresses[0] === self ? '' : ` → ${addresses.join(', ')}`}`,
        )
      },
      data(ctx) {
        const tx = ctx.transaction
        if (!tx.recipients.some((r) => r.notes.has(NOTE_EXPANSION))) return
        const out: Address[] = []
        const seen = new Set<string>()
        for (const r of tx.recipients) {
          const targets = r.notes.value<readonly string[]>(NOTE_EXPANSION)
          if (!targets) {
            const key = r.address.toLowerCase()
            if (!seen.has(key)) out.push(r)
            seen.add(key)
            continue
          }
          for (const t of targets) {
            if (seen.has(t)) continue
            seen.add(t)
            const a = Address.tryParse(`<${t}>`, { utf8: true })
            if (!a) {
              ctx.log.warn(`alias target ${t} of ${r.address} is not a valid address, dropped`)
              continue
            }
            for (const [k, v] of r.notes) if (k !== NOTE_EXPANSION) a.notes.set(k, v)
            a.notes.set(NOTE_ORIGINAL, r.address)
            out.push(a)
          }
        }
        tx.setRecipients(out)
      },
    }
  },
})
