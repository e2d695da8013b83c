/**
 * whitelist: qpsmtpd 1.0's whitelist (Gavin Carr's whitelist_soft under its later name). A
 * whitelisted client IP, HELO name, sender or recipient gets its note and an OK for that
 * phase, so the plugins after it in that phase do not run: a whitelisted host skips the other
 * connect checks, a whitelisted sender the other MAIL checks, a whitelisted recipient is
 * accepted. Whitelisting a host does not let it relay. See whitelist_soft for the notes alone.
 */
import { whitelistHooks } from '@postern/address-lists'
import { definePlugin } from '@postern/core'
import { peerDependencies } from '../package.json'

export default definePlugin({
  name: 'whitelist',
  core: peerDependencies['@postern/core'],
  description: 'Whitelisted hosts, HELOs, senders and recipients skip the rest of their phase',
  setup: (ctx) => whitelistHooks(ctx, 'override'),
})
