import {
  Address,
  DECLINED,
  DENY,
  DENYSOFT,
  definePlugin,
  deny,
  denysoft,
  done,
  NOTE,
  OK,
  ok,
} from '@postern/core'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_MESSAGE,
  DEFAULT_RECIPIENT,
  DEFAULT_SENDER,
  loadPluginForTest,
  testMessage,
} from '../src/index.js'

/** Writes down what each hook saw, and refuses what its name says. */
const seen: string[] = []
const picky = definePlugin({
  name: 'picky',
  core: '^1.0.0',
  hooks: {
    connect(ctx) {
      seen.push(`connect ${ctx.connection.remoteIp}`)
      if (ctx.connection.remoteIp === '192.0.2.66') return denysoft('Not now', '4.7.0')
    },
    helo(ctx, host) {
      seen.push(`helo ${host} (was ${ctx.connection.helloHost})`)
      if (host.startsWith('bad.')) return deny('Bad HELO', '5.7.1')
    },
    ehlo(_ctx, host) {
      if (host === 'mine.example') return done()
    },
    mail(ctx, sender, params) {
      seen.push(`mail ${sender} size=${params.get('size')} tx.sender=${ctx.transaction.sender}`)
      if (sender.host === 'spam.example') return deny('Go away', '5.7.1')
    },
    rcpt(ctx, rcpt) {
      const tx = ctx.transaction
      seen.push(
        `rcpt ${rcpt} from ${tx.sender} after [${tx.recipients.join(',')}] hello ${ctx.connection.helloHost}`,
      )
      return rcpt.user === 'nobody' ? deny('No such user', '5.1.1') : ok()
    },
    data(ctx) {
      seen.push(`data ${ctx.transaction.sender} → ${ctx.transaction.recipients.join(',')}`)
    },
    async data_post(ctx) {
      const subject = ctx.transaction.header?.get('subject')
      seen.push(`data_post subject=${subject} size=${ctx.transaction.size}`)
      if (subject?.includes('spam')) return deny('Spam', '5.7.1')
    },
    queue(ctx) {
      return ok(`Queued for ${ctx.transaction.recipients.join(',')}`)
    },
  },
})

const last = () => seen.at(-1)

describe('typed callers', () => {
  it('connect, helo, ehlo: a new session each, or the one given', async () => {
    const h = await loadPluginForTest(picky)
    expect(await h.connect({ connection: { remoteIp: '192.0.2.66' } })).toMatchObject({
      code: DENYSOFT,
      enhanced: '4.7.0',
    })
    expect(last()).toBe('connect 192.0.2.66')
    expect((await h.helo('bad.example')).code).toBe(DENY)

    const s = h.session()
    expect((await h.connect({ session: s })).code).toBe(DECLINED)
    expect((await h.helo('bad.example', { session: s })).code).toBe(DENY)
    expect(s.connection.helloHost).toBeUndefined() // refused: the engine keeps no hello
    expect((await h.helo('good.example', { session: s })).code).toBe(DECLINED)
    expect(s.connection).toMatchObject({ helloHost: 'good.example', helloType: 'helo' })
    expect((await h.ehlo('mine.example', { session: s })).code).toBe(910)
    expect(s.connection.helloType).toBe('helo') // DONE: the plugin answered, nothing changed
    await h.ehlo('other.example', { session: s })
    expect(last()).toBe('helo good.example (was undefined)') // ehlo runs the ehlo hook, not helo
    expect(s.connection).toMatchObject({ helloHost: 'other.example', helloType: 'ehlo' })
  })

  it('mail starts a transaction with its params; the sender is set unless refused', async () => {
    const h = await loadPluginForTest(picky)
    const s = h.session({ helloHost: 'client.example' })
    expect((await h.mail('x@spam.example', { session: s })).code).toBe(DENY)
    expect(s.transaction).toBeUndefined()
    expect((await h.mail('a@example.org', { session: s, params: { SIZE: '1200' } })).code).toBe(DECLINED)
    expect(last()).toBe('mail <a@example.org> size=1200 tx.sender=undefined')
    expect(s.transaction?.sender?.format()).toBe('<a@example.org>')
    expect(s.transaction?.mailParams.get('size')).toBe('1200')
    expect((await h.mail('<>', { session: s, tx: { notes: { [NOTE.whitelistSender]: true } } })).code).toBe(
      DECLINED,
    )
    expect(s.transaction?.sender?.isNull).toBe(true)
    expect(s.transaction?.notes.get(NOTE.whitelistSender)).toBe(true)
  })

  it('rcpt builds a transaction with a sender, and adds the recipients it accepts', async () => {
    const h = await loadPluginForTest(picky)
    expect(await h.rcpt('nobody@example.com')).toMatchObject({ code: DENY, enhanced: '5.1.1' })
    expect(last()).toBe(
      `rcpt <nobody@example.com> from <${DEFAULT_SENDER}> after [] hello client.example.net`,
    )

    const s = h.session()
    await h.mail('a@example.org', { session: s })
    expect((await h.rcpt('b@example.com', { session: s })).code).toBe(OK)
    expect((await h.rcpt('nobody@example.com', { session: s })).code).toBe(DENY)
    expect((await h.rcpt(Address.parse('<c@example.com>'), { session: s })).code).toBe(OK)
    expect(s.transaction?.recipients.map(String)).toEqual(['<b@example.com>', '<c@example.com>'])

    await h.rcpt('d@example.com', { tx: { sender: 'z@example.net', recipients: ['e@example.com'] } })
    expect(last()).toBe(
      'rcpt <d@example.com> from <z@example.net> after [<e@example.com>] hello client.example.net',
    )
  })

  it('data, data_post and queue get a whole transaction by default, or the one given', async () => {
    const h = await loadPluginForTest(picky)
    expect((await h.data()).code).toBe(DECLINED)
    expect(last()).toBe(`data <${DEFAULT_SENDER}> → <${DEFAULT_RECIPIENT}>`)
    expect((await h.data_post()).code).toBe(DECLINED)
    expect(last()).toBe(`data_post subject=test size=${testMessage(DEFAULT_MESSAGE).size}`)
    expect(await h.queue()).toMatchObject({ code: OK, message: [`Queued for <${DEFAULT_RECIPIENT}>`] })

    expect((await h.data_post({ tx: { message: 'Subject: cheap spam\n\nbuy\n' } })).code).toBe(DENY)
    const s = h.session()
    s.begin({ sender: 'a@example.org', recipients: ['b@example.com', 'c@example.com'] })
    expect(await h.queue({ session: s })).toMatchObject({
      message: ['Queued for <b@example.com>,<c@example.com>'],
    })
  })
})
