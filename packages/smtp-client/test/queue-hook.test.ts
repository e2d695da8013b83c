import { DENYSOFT, definePlugin, denysoft, OK, ok } from '@postern/core'
import { runQueue } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import { type QueueDelivery, queueHook } from '../src/queue-hook.js'

/** A queue plugin that is nothing but queueHook around `delivery`, with a hook of `ms`. */
function queuePlugin(ms: number, delivery: QueueDelivery) {
  return definePlugin({
    name: 'queue/test',
    core: '^1.0.0',
    setup: () => ({ queue: queueHook(ms, delivery) }),
  })
}

/** Waits for `signal` to abort and says why. */
const aborted = (signal: AbortSignal) =>
  new Promise<string>((resolve) =>
    signal.addEventListener('abort', () => resolve((signal.reason as Error).name), { once: true }),
  )

const message = { sender: 'a@example.org', recipients: ['b@example.com'], message: 'Subject: x\n\nhi\n' }

describe('queueHook', () => {
  it('states the hook timeout on the hook', () => {
    expect(queueHook(5000, async () => ok()).timeout).toBe(5000)
  })

  it('hands the delivery the message and returns its verdict', async () => {
    const plugin = queuePlugin(5000, async (ctx, body) => {
      expect(ctx.transaction.body).toBe(body)
      return ok(`Queued ${body.size} bytes`, '2.0.0')
    })
    const { result } = await runQueue(plugin, { transaction: message })
    expect(result).toMatchObject({ code: OK, message: ['Queued 18 bytes'], enhanced: '2.0.0' })
  })

  it('answers 451 4.3.0 without a message, and does not start the delivery', async () => {
    let calls = 0
    const plugin = queuePlugin(5000, async () => {
      calls++
      return ok()
    })
    const { result } = await runQueue(plugin, {
      transaction: { sender: 'a@example.org', recipients: ['b@example.com'] },
    })
    expect(result).toMatchObject({
      code: DENYSOFT,
      message: ['No message to queue'],
      enhanced: '4.3.0',
      reply: 451,
    })
    expect(calls).toBe(0)
  })

  it('aborts the delivery at the budget, so the plugin answers before the hook deadline', async () => {
    const plugin = queuePlugin(300, async (_ctx, _body, signal) =>
      denysoft(`stopped: ${await aborted(signal)}`),
    )
    const { result } = await runQueue(plugin, { transaction: message })
    // The plugin's own answer, not the dispatcher's timeout failure.
    expect(result).toMatchObject({ code: DENYSOFT, message: ['stopped: TimeoutError'] })
    expect(result.failure).toBeUndefined()
  })

  it('aborts the delivery when the client goes away', async () => {
    const plugin = queuePlugin(5000, async (_ctx, _body, signal) =>
      denysoft(`stopped: ${await aborted(signal)}`),
    )
    const { result } = await runQueue(plugin, {
      transaction: message,
      during: (disconnect) => setTimeout(disconnect, 10),
    })
    expect(result).toMatchObject({ code: DENYSOFT })
    expect(result.message[0]).not.toBe('stopped: TimeoutError')
  })

  it('releases the signal once the delivery is over: it never fires afterwards', async () => {
    let kept: AbortSignal | undefined
    const plugin = queuePlugin(100, async (_ctx, _body, signal) => {
      kept = signal
      return ok()
    })
    expect((await runQueue(plugin, { transaction: message })).result.code).toBe(OK)
    await new Promise((r) => setTimeout(r, 150)) // past the 90 ms budget
    expect(kept?.aborted).toBe(false)
  })
})
