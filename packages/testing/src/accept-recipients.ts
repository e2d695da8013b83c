/**
 * The engine refuses a recipient no plugin accepted ("No plugin decided if relaying is allowed"),
 * so an engine test of a plugin that acts later (DATA, queue) needs one that accepts them all.
 */
import { definePlugin, ok } from '@postern/core'

/** Accepts every recipient. Put it before the plugin under test. */
export const acceptRecipients = definePlugin({
  name: 'accept_recipients',
  core: '^1.0.0',
  hooks: { rcpt: () => ok() },
})
