/**
 * content_log: appends each message to an mbox archive whose file name is a strftime pattern
 * (`mail/%Y%m%d`: one file a day), for debugging other plugins or keeping a copy of what was
 * accepted. It writes in queue_post, after the queue's decision, so the archive holds what was
 * actually queued (and, with `all 1`, what the queue refused too), never mail refused earlier.
 */
import { createWriteStream } from 'node:fs'
import { appendFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { definePlugin, OK } from '@postern/core'
import { peerDependencies } from '../package.json'
import { serialised } from './append-lock.js'
import { MboxrdEncoder, separator } from './mbox.js'
import { asctime, strftime } from './strftime.js'

export { MboxrdEncoder } from './mbox.js'
export { asctime, strftime } from './strftime.js'

const DEFAULT_FILE = 'mail/%Y%m%d'

export default definePlugin({
  name: 'content_log',
  core: peerDependencies['@postern/core'],
  description: 'Appends every queued message to a date-named mbox file',
  setup({ args, config }) {
    const utc = args.bool('utc', false)
    const all = args.bool('all', false)
    return {
      async queue_post(ctx, result) {
        const tx = ctx.transaction
        if (!tx.body) return
        if (result.code !== OK && !all) return
        if (!/^(1|yes|true|on)?$/i.test((await config.get('content_log_enabled', '1')) ?? '1')) return
        const now = new Date()
        const pattern =
          args.get('path') ?? (await config.get('content_log_file', DEFAULT_FILE)) ?? DEFAULT_FILE
        const file = path.resolve(strftime(pattern, now, utc))
        const head = separator(tx.sender?.address ?? '', asctime(now, utc))
        const body = tx.body
        try {
          await serialised(file, async () => {
            await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
            // Mail is private: the archive is readable by its owner only.
            const out = createWriteStream(file, { flags: 'a', mode: 0o600 })
            try {
              await pipeline(body.stream('message'), new MboxrdEncoder(head), out, { signal: ctx.signal })
            } catch (err) {
              // End a cut-off entry so the next `From ` line still starts a line of its own.
              await appendFile(file, '\n\n').catch(() => {})
              throw err
            }
          })
          ctx.log.info(`archived to ${file}`)
        } catch (err) {
          // The message is already queued: a failed copy is the archive's loss, not the sender's.
          ctx.log.error(`cannot append to ${file}: ${(err as Error).message}`)
        }
      },
    }
  },
})
