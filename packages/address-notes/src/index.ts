/**
 * address_notes: qpsmtpd's contrib plugin added a `notes` method to Qpsmtpd::Address so
 * plugins could pass per-recipient data to each other. In Postern that is built into core:
 * every `Address` has `notes` (a Map, safe for any key). This plugin registers no hook; it
 * exists so a qpsmtpd `config/plugins` file that lists `address_notes` loads unchanged.
 */
import { definePlugin } from '@postern/core'
import { peerDependencies } from '../package.json'

export default definePlugin({
  name: 'address_notes',
  core: peerDependencies['@postern/core'],
  description: 'Compatibility: notes on addresses are built into @postern/core (Address.notes)',
  setup({ log }) {
    log.debug('address notes are built into @postern/core (Address.notes); nothing to do')
    return {}
  },
})
