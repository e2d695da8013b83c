/**
 * check_goodrcptto: an accept-list. Recipients not in config/goodrcptto are refused; listed
 * ones are left to the next plugin (rcpt_ok still decides whether the host is local). Entries
 * are full addresses, `@domain` (every user there) or bare user names (that user at any
 * domain, e.g. `postmaster`). With `extn +` an extension is stripped when the full address is
 * not listed (`alice+lists@example.com` → `alice@example.com`). Relay clients are not checked:
 * their mail goes everywhere.
 */

import { AddressList, splitExtension } from '@postern/address-lists'
import { definePlugin } from '@postern/core'
import { peerDependencies } from '../package.json'

/** `deny_note name` or `deny_note name=value`: a connection note set on every refusal. */
function parseDenyNote(text: string | undefined): { name: string; value: string | undefined } | undefined {
  if (!text) return undefined
  const eq = text.indexOf('=')
  return eq < 0 ? { name: text, value: undefined } : { name: text.slice(0, eq), value: text.slice(eq + 1) }
}

export default definePlugin({
  name: 'check_goodrcptto',
  core: peerDependencies['@postern/core'],
  description: 'Accepts mail only for the recipients listed in config/goodrcptto',
  async setup({ config, args, log }) {
    const separators = args.string('extn', '')
    const denyNote = parseDenyNote(args.get('deny_note'))
    const list = await config.parsed('goodrcptto', (lines) =>
      AddressList.parse(lines, { bare: 'user', reasons: false, warn: (message) => log.warn(message) }),
    )
    return {
      async rcpt(ctx, recipient) {
        if (ctx.connection.relayClient) return ctx.log.result('skip', 'relay client')
        const good = await list.get()
        // An empty or missing file would refuse every recipient: treat it as "not configured".
        if (good.size === 0) return ctx.log.result('skip', 'goodrcptto is empty')
        let hit = good.match(recipient)
        const split = hit ? undefined : splitExtension(recipient.user.toLowerCase(), separators)
        if (split) {
          const base = recipient.host ? `${split.base}@${recipient.host}` : split.base
          hit = good.match(base)
        }
        if (hit) return ctx.log.result('pass', `${recipient.address} matches ${hit.text}`)
        if (denyNote) {
          const n = ctx.connection.notes
          n.set(denyNote.name, denyNote.value ?? (n.value<number>(denyNote.name) ?? 0) + 1)
        }
        return ctx.reject(
          `invalid recipient ${recipient.address}`,
          '5.1.1',
          `${recipient.address} not in goodrcptto`,
        )
      },
    }
  },
})
