/**
 * whitelist_soft: the same files and notes as whitelist, but it never answers: a match only
 * sets the note (`whitelisthost`, `whitelisthelo`, `whitelistsender`, `whitelistrcpt`) and the
 * next plugin runs. Filters that honour the notes (core's isImmune(), the `whitelistrcpt`
 * address note) skip their checks; the rest still decide, and rcpt_ok still decides whether a
 * recipient is local. Use it when a whitelist must never accept mail by itself.
 */
import { whitelistHooks } from '@postern/address-lists'
import { definePlugin } from '@postern/core'
import { peerDependencies } from '../package.json'

export default definePlugin({
  name: 'whitelist_soft',
  core: peerDependencies['@postern/core'],
  description: 'Marks whitelisted hosts, HELOs, senders and recipients with notes that later plugins honour',
  setup: (ctx) => whitelistHooks(ctx, 'notes'),
})
