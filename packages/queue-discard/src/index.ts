/**
 * queue/discard: answers OK and keeps nothing. For tests and benchmarks only — every message a
 * client hands over is lost, so it says so in the log at load.
 */
import { definePlugin, ok } from '@postern/core'
import { peerDependencies } from '../package.json'

export default definePlugin({
  name: 'queue/discard',
  aliases: ['queue_discard'],
  core: peerDependencies['@postern/core'],
  description: 'Accepts and discards every message (tests and benchmarks)',
  setup({ log, args }) {
    const text = args.get('message') ?? 'Queued (discarded)'
    log.warn('queue/discard is loaded: accepted mail is thrown away')
    return {
      queue(ctx) {
        ctx.log.result('pass', `discarded ${ctx.transaction.size} bytes`)
        return ok(text, '2.0.0')
      },
    }
  },
})
