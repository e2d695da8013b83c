/**
 * queue/maildir: delivers each message into a Maildir, durably (fsync of the file and of new/)
 * before answering OK, so a 250 means the mail is on disk. The path may name the recipient
 * (`%u` user, `%d` domain, `%a` whole address): then each recipient gets its own copy
 * (hard links of one file, so the bytes are written once per folder group), all or none.
 */
import path from 'node:path'
import { type Address, definePlugin, denysoft, ok } from '@postern/core'
import { peerDependencies } from '../package.json'
import { deliver } from './deliver.js'

/** Fills `%u`, `%d`, `%a` from an address; `%%` is a percent sign. Path separators are replaced. */
export function expandPath(template: string, rcpt: Address): string {
  const safe = (s: string) =>
    s
      .toLowerCase()
      .replace(/[/\\\0]/g, '_')
      .replace(/^\.+/, '_') || '_'
  return template.replace(/%([uda%])/g, (_m, k: string) =>
    k === '%' ? '%' : k === 'u' ? safe(rcpt.user) : k === 'd' ? safe(rcpt.host) : safe(rcpt.address),
  )
}

export default definePlugin({
  name: 'queue/maildir',
  aliases: ['queue_maildir'],
  core: peerDependencies['@postern/core'],
  description: 'Delivers into Maildir folders; fsync before OK',
  setup({ args, config }) {
    const template = args.at(0)
    if (!template)
      throw new Error('queue/maildir needs a Maildir path: queue/maildir /var/mail/Maildir (or …/%d/%u)')
    const base = path.resolve(config.dir, template)
    const perRecipient = /%[uda]/.test(template)
    return {
      async queue(ctx) {
        const tx = ctx.transaction
        const body = tx.body
        // 451: "local error in processing" (RFC 5321 §4.2.3); a queue's DENYSOFT is 452 by default.
        if (!body) return denysoft('No message to queue', '4.3.0', 451)
        const dirs = perRecipient ? [...new Set(tx.recipients.map((r) => expandPath(base, r)))] : [base]
        // Return-Path records the envelope sender at final delivery (RFC 5321 §4.4).
        const prefix = Buffer.from(`Return-Path: ${tx.sender?.format() ?? '<>'}\r\n`)
        try {
          const name = await deliver(dirs, prefix, () => body.stream('message'), body.size)
          ctx.log.result('pass', `delivered ${name} to ${dirs.length} folder(s)`)
          return ok(`Queued as ${name}`, '2.0.0')
        } catch (err) {
          ctx.log.error(`delivery failed: ${(err as Error).message}`)
          return denysoft('Local delivery failed, try again later', '4.3.0', 451)
        }
      },
    }
  },
})
