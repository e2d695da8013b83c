import { DECLINED, DENY, DENYSOFT, definePlugin, deny, OK } from '@postern/core'
import { describe, expect, it } from 'vitest'
import { loadPluginForTest, testAddress, testMessage } from '../src/index.js'

const badword = definePlugin({
  name: 'badword',
  core: '^1.0.0',
  async setup({ config }) {
    const words = await config.parsed('badwords', (lines) => lines.map((l) => l.value.toLowerCase()))
    return {
      async rcpt(ctx, rcpt) {
        if ((await words.get()).includes(rcpt.user.toLowerCase())) return ctx.reject('No such user', '5.1.1')
        return { code: OK }
      },
      async data_post(ctx) {
        const subject = ctx.transaction.header?.get('subject') ?? ''
        if ((await words.get()).some((w) => subject.toLowerCase().includes(w)))
          return deny('Bad subject', '5.7.1')
      },
      async help(ctx) {
        await ctx.respond(214, ['line one', 'line two'])
        return { code: 910 }
      },
    }
  },
})

describe('@postern/testing harness', () => {
  it('loads with config from an object and runs hooks through the real dispatcher', async () => {
    const h = await loadPluginForTest(badword, { config: { badwords: ['spam', '# comment', 'junk'] } })
    const s = h.session()
    s.begin({ sender: 'a@example.com' })
    expect((await h.first('rcpt', s, testAddress('spam@example.com'), new Map())).code).toBe(DENY)
    expect((await h.first('rcpt', s, testAddress('bob@example.com'), new Map())).code).toBe(OK)
  })

  it('passes plugin arguments (reject_type temp)', async () => {
    const h = await loadPluginForTest(badword, { args: 'reject_type temp', config: { badwords: 'spam\n' } })
    const s = h.session()
    s.begin()
    const r = await h.first('rcpt', s, testAddress('spam@example.com'), new Map())
    expect(r).toMatchObject({ code: DENYSOFT, enhanced: '4.1.1' })
    expect(h.logs.some((e) => e.message.startsWith('fail'))).toBe(true)
  })

  it('sees config changes written while running', async () => {
    const h = await loadPluginForTest(badword, { config: { badwords: 'spam\n' } })
    const s = h.session()
    s.begin()
    expect((await h.first('rcpt', s, testAddress('eggs@example.com'), new Map())).code).toBe(OK)
    h.writeConfig('badwords', ['eggs'])
    expect((await h.first('rcpt', s, testAddress('eggs@example.com'), new Map())).code).toBe(DENY)
  })

  it('builds messages with parsed headers and a replayable body', async () => {
    const h = await loadPluginForTest(badword, { config: { badwords: 'viagra\n' } })
    const s = h.session()
    const tx = s.begin({ message: 'Subject: cheap VIAGRA\nFrom: x@example.com\n\nhello\n' })
    expect((await h.first('data_post', s)).code).toBe(DENY)
    const chunks: Buffer[] = []
    for await (const c of tx.body!.stream('body')) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('hello\r\n')
    expect(testMessage('A: b\n\nc').headerSize).toBe(8)
  })

  it('records replies a plugin writes itself', async () => {
    const h = await loadPluginForTest(badword, { config: {} })
    const s = h.session()
    expect((await h.first('help', s, '')).code).toBe(910)
    expect(s.replies).toEqual(['214-line one', '214 line two'])
    expect((await h.first('vrfy', s, 'x')).code).toBe(DECLINED)
  })
})
