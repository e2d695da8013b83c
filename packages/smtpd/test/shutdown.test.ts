/**
 * Session.shutdown (what the server calls on SIGTERM, then every 50 ms until its deadline): an
 * idle session gets 421 4.3.2 at once; an open transaction may finish first; a reply a hook is
 * still working on goes out before the 421.
 */
import { definePlugin } from '@postern/core'
import { afterEach, describe, expect, it } from 'vitest'
import { engine, type TestEngine, toData } from './helpers.js'

let e: TestEngine | undefined
afterEach(async () => {
  await e?.close()
  e = undefined
})

const SHUTDOWN = '421 4.3.2 mx.test.example Service shutting down, try again later'

describe('shutdown', () => {
  it('an idle session gets 421 4.3.2 at once and ends', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.session.shutdown()
    expect(await s.reply()).toBe(SHUTDOWN)
    await s.ended
    // Called again (the server repeats it until its deadline): nothing more is written.
    await s.session.shutdown()
    expect(s.pending()).toEqual([])
  })

  it('a session with MAIL and RCPT accepted finishes its transaction, then gets 421', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    await s.command('RCPT TO:<b@example.com>')
    await s.session.shutdown()
    await s.session.shutdown()
    expect(s.pending()).toEqual([])
    expect(await s.command('RCPT TO:<c@example.com>')).toMatch(/^250 2\.1\.5 /)
    expect(await s.command('DATA')).toMatch(/^354 /)
    expect(await s.command('Subject: x\r\n\r\nbody\r\n.')).toBe('250 2.0.0 Queued for test')
    expect(await s.reply()).toBe(SHUTDOWN)
    await s.ended
    expect(e.queued).toHaveLength(1)
    expect(e.queued[0]!.recipients).toEqual(['<b@example.com>', '<c@example.com>'])
  })

  it('a transaction ended by RSET is followed by the 421', async () => {
    e = await engine()
    const s = await e.open()
    await s.greeting
    await s.command('EHLO c')
    await s.command('MAIL FROM:<a@example.org>')
    await s.session.shutdown()
    expect(await s.command('RSET')).toBe('250 2.0.0 OK')
    expect(await s.reply()).toBe(SHUTDOWN)
    await s.ended
  })

  it('during DATA the message is received and answered first', async () => {
    e = await engine()
    const s = await e.open()
    await toData(s)
    s.send('Subject: x\r\n\r\nfirst half\r\n')
    await s.session.shutdown()
    expect(await s.command('second half\r\n.')).toBe('250 2.0.0 Queued for test')
    expect(await s.reply()).toBe(SHUTDOWN)
    expect(e.queued).toHaveLength(1)
  })

  it('a hook in flight: its reply goes out first, then the 421 (never 421 then 250)', async () => {
    const held = heldHook('slow_helo', 'ehlo')
    e = await engine({ plugins: [held.plugin] })
    const s = await e.open()
    await s.greeting
    s.send('EHLO c\r\n')
    await held.entered
    await s.session.shutdown()
    expect(s.pending()).toEqual([])
    held.release()
    expect(await s.reply()).toMatch(/^250-mx\.test\.example Hello c /)
    expect(await s.reply()).toBe(SHUTDOWN)
    await s.ended
  })

  it('a connect hook in flight: the banner first, then the 421', async () => {
    const held = heldHook('slow_connect', 'connect')
    e = await engine({ plugins: [held.plugin] })
    const s = await e.open()
    await held.entered
    await s.session.shutdown()
    held.release()
    expect(await s.greeting).toMatch(/^220 /)
    expect(await s.reply()).toBe(SHUTDOWN)
    await s.ended
  })
})

/** A plugin whose `hook` waits until released: a hook in flight when shutdown comes. */
function heldHook(name: string, hook: 'ehlo' | 'connect') {
  let release: () => void = () => {}
  let enter: () => void = () => {}
  const entered = new Promise<void>((r) => {
    enter = r
  })
  const plugin = definePlugin({
    name,
    core: '^1.0.0',
    hooks: {
      [hook]: () =>
        new Promise<undefined>((r) => {
          release = () => r(undefined)
          enter()
        }),
    },
  })
  return { plugin, entered, release: () => release() }
}
