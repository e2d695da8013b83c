import { describe, expect, it } from 'vitest'
import { Address, immunity, isImmune, NOTE } from '../src/index.js'
import { dispatcherWith, makeHost } from './helpers.js'

const rcpt = (text: string) => {
  const [user = '', host = ''] = text.split('@')
  return new Address(user, host)
}

describe('immunity', () => {
  it('names the session-wide reasons first: relay client, whitelisted host, whitelisted sender', () => {
    const h = makeHost()
    expect(immunity(h.connection, h.transaction)).toBeUndefined()
    h.transaction!.notes.set(NOTE.whitelistSender, 1)
    expect(immunity(h.connection, h.transaction)).toBe('whitelisted sender')
    h.connection.notes.set(NOTE.whitelistHost, 1)
    expect(immunity(h.connection, h.transaction)).toBe('whitelisted host')
    h.connection.relayClient = true
    expect(immunity(h.connection, h.transaction)).toBe('relay client')
  })

  it('counts the whitelist notes on a recipient for that recipient only', () => {
    const h = makeHost()
    const other = rcpt('other@example.org')
    const white = rcpt('white@example.org')
    white.notes.set(NOTE.whitelistRcpt, true)
    const byHost = rcpt('host@example.org')
    byHost.notes.set(NOTE.whitelistHost, 1)
    const bySender = rcpt('sender@example.org')
    bySender.notes.set(NOTE.whitelistSender, 1)
    expect(immunity(h.connection, h.transaction, white)).toBe('whitelisted recipient')
    expect(immunity(h.connection, h.transaction, byHost)).toBe('host whitelisted by this recipient')
    expect(immunity(h.connection, h.transaction, bySender)).toBe('sender whitelisted by this recipient')
    expect(isImmune(h.connection, h.transaction, other)).toBe(false)
    // Without the recipient, the session is not immune.
    expect(isImmune(h.connection, h.transaction)).toBe(false)
  })

  it('is what ctx.isImmune(recipient) answers in a hook', async () => {
    const seen: boolean[] = []
    const { d } = dispatcherWith([
      { name: 'p', hooks: { rcpt: (ctx, r) => void seen.push(ctx.isImmune(), ctx.isImmune(r)) } },
    ])
    const white = rcpt('white@example.org')
    white.notes.set(NOTE.whitelistRcpt, true)
    await d.runFirst('rcpt', makeHost(), white, new Map())
    await d.runFirst('rcpt', makeHost(), rcpt('other@example.org'), new Map())
    expect(seen).toEqual([false, true, false, false])
  })
})
