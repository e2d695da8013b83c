/**
 * queue/exec: hands each message to a local program and answers OK only when it exits 0 —
 * qmail-queue's contract (the message is queued durably before it exits 0) or sendmail's.
 *
 * - `qmail-queue`: message on fd 0, envelope on fd 1 as `F<sender>\0T<rcpt>\0…\0`; exit codes
 *   per qmail-queue(8) (11–40 permanent, others temporary).
 * - `sendmail`: `program -i -f <sender> -- <rcpt>…`, message on stdin; 0 ok, 75 temporary,
 *   others permanent.
 *
 * Envelope strings go into argv or fd 1, never through a shell. At the hook deadline or when
 * the client leaves, the program's process group gets SIGTERM, then SIGKILL.
 */
import { type Address, definePlugin, denysoft, ok } from '@postern/core'
import { queueHook } from '@postern/smtp-client'
import { peerDependencies } from '../package.json'
import { crashVerdict, exitVerdict } from './exit-codes.js'
import { type ExecOptions, readOptions } from './options.js'
import { runProgram } from './run.js'

/** qmail-queue's envelope: `F` sender, `T` each recipient, NUL after each, an extra NUL at the end. */
export function qmailEnvelope(sender: Address | undefined, recipients: readonly Address[]): Buffer {
  const parts = [`F${sender?.address ?? ''}\0`, ...recipients.map((r) => `T${r.address}\0`), '\0']
  return Buffer.from(parts.join(''), 'utf8')
}

/** sendmail's argv: -i (a lone dot is text), -f sender, then `--` so no recipient reads as an option. */
export function sendmailArgv(sender: Address | undefined, recipients: readonly Address[]): string[] {
  const from = sender && !sender.isNull ? sender.address : '<>'
  return ['-i', '-f', from, '--', ...recipients.map((r) => r.address)]
}

function argsFor(options: ExecOptions, sender: Address | undefined, recipients: readonly Address[]) {
  return options.mode === 'qmail-queue'
    ? { argv: [], envelope: qmailEnvelope(sender, recipients) }
    : { argv: sendmailArgv(sender, recipients) }
}

export default definePlugin({
  name: 'queue/exec',
  aliases: ['queue_exec', 'queue/qmail-queue'],
  core: peerDependencies['@postern/core'],
  description: 'Pipes the message to qmail-queue or sendmail; OK only on exit 0',
  async setup({ args, config }) {
    const options = await readOptions(args, config)
    return {
      queue: queueHook(options.hookTimeoutMs, async (ctx, body, signal) => {
        const tx = ctx.transaction
        // One envelope entry per distinct address: the program would otherwise deliver twice.
        const recipients = [...new Map(tx.recipients.map((r) => [r.address, r])).values()]
        if (!recipients.length) return denysoft('No recipients to deliver to', '4.5.3')
        const outcome = await runProgram({
          program: options.program,
          ...argsFor(options, tx.sender, recipients),
          message: () => body.stream('message'),
          eol: options.eol,
          signal,
          killGraceMs: options.killGraceMs,
        })
        const stderr = 'stderr' in outcome && outcome.stderr ? `; stderr: ${outcome.stderr.trim()}` : ''
        switch (outcome.kind) {
          case 'exit':
            if (outcome.code === 0) {
              if (outcome.cutShort)
                ctx.log.warn(`${options.program} exited 0 before reading the whole message`)
              ctx.log.result('pass', `${options.program} exited 0${stderr}`)
              return ok('Queued', '2.0.0')
            }
            ctx.log.result('fail', `${options.program} exited ${outcome.code}${stderr}`)
            return exitVerdict(options.mode, outcome.code)
          case 'signal':
            ctx.log.result('error', `${options.program} died of ${outcome.signal}${stderr}`)
            return crashVerdict('crashed')
          case 'spawn-failed':
            ctx.log.result('error', `cannot run ${options.program}: ${outcome.error}`)
            return crashVerdict('could not be started')
          case 'aborted':
            ctx.log.result(
              'error',
              `${options.program} killed: ${outcome.reason === 'timeout' ? 'deadline passed' : 'client gone'}${stderr}`,
            )
            return crashVerdict(outcome.reason === 'timeout' ? 'timed out' : 'was stopped')
        }
      }),
    }
  },
})
