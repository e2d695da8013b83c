/**
 * mailinglist_simple with a plugin that replaces the list address by its members when DATA
 * starts, as aliases does: the lists are remembered from RCPT. Through the engine in memory.
 */
import { text as readText } from 'node:stream/consumers'
import { Address, deny, ok } from '@postern/core'
import { acceptRecipients, mockPlugin, openSession, type TestSmtpSession } from '@postern/testing'
import { afterEach, describe, expect, it } from 'vitest'
import plugin, { NOTE_LISTS } from '../src/index.js'

const CONFIG = {
  mailinglist_simple: [
    'team@lists.example.org PROTECTED members=team.members signature=team.sig',
    'news@lists.example.org public name=news.example.org',
  ],
  'team.members': ['alice@example.com'],
  'team.sig': '-- \nThe team list\n',
}

const MEMBERS = new Map([
  ['team@lists.example.org', ['alice@example.com', 'bob@example.com']],
  ['news@lists.example.org', ['carol@example.com']],
])

interface Queued {
  recipients: string[]
  notes: unknown
  message: string
}

/** Swaps list addresses for their members at DATA, as aliases does (a hook without an order). */
const expander = mockPlugin('expander', {
  data(ctx) {
    const tx = ctx.transaction
    tx.setRecipients(
      tx.recipients.flatMap((r) =>
        (MEMBERS.get(r.address.toLowerCase()) ?? [r.address]).map((m) => Address.parse(`<${m}>`)),
      ),
    )
  },
})

let session: TestSmtpSession | undefined
afterEach(async () => {
  await session?.close()
  session = undefined
})

async function post(sender: string, recipients: string[], refused: string[] = []) {
  const queued: Queued[] = []
  const refuser = mockPlugin('refuser', {
    rcpt: (_ctx, r) => (refused.includes(r.address) ? deny('Not today', '5.7.1') : undefined),
  })
  const capture = mockPlugin('capture', {
    async queue(ctx) {
      const tx = ctx.transaction
      queued.push({
        recipients: tx.recipients.map((r) => r.address),
        notes: tx.notes.get(NOTE_LISTS),
        message: await readText(tx.body!.stream('message')),
      })
      return ok('Queued')
    },
  })
  session = await openSession({
    plugins: [expander, plugin, refuser, acceptRecipients, capture],
    config: CONFIG,
  })
  await session.greeting
  await session.command('EHLO client.example')
  await session.command(`MAIL FROM:<${sender}>`)
  const replies: string[] = []
  for (const r of recipients) replies.push(await session.command(`RCPT TO:<${r}>`))
  await session.command('DATA')
  const end = await session.command('From: <x@example.com>\r\nSubject: hi\r\n\r\nhello\r\n.')
  return { replies, end, queued }
}

describe('mailinglist_simple with an expander at DATA', () => {
  it('marks the message for the lists named at RCPT, though only members are left', async () => {
    const { end, queued } = await post('alice@example.com', ['team@lists.example.org'])
    expect(end).toBe('250 2.0.0 Queued')
    expect(queued).toHaveLength(1)
    const [q] = queued
    expect(q!.recipients).toEqual(['alice@example.com', 'bob@example.com'])
    expect(q!.message).toMatch(/^Precedence: bulk\r$/m)
    expect(q!.message).toMatch(/^X-Mailing-List: team@lists\.example\.org\r$/m)
    expect(q!.message).toMatch(/^Reply-To: <team@lists\.example\.org>\r$/m)
    expect(q!.message).toMatch(/hello\r\n-- \r\nThe team list\r\n$/)
  })

  it('forgets a list whose recipient was refused (here by its own member check)', async () => {
    const { replies, queued } = await post('mallory@example.net', [
      'team@lists.example.org',
      'dave@example.com',
    ])
    expect(replies[0]).toBe('550 5.7.2 Only members may post to the list team@lists.example.org')
    expect(queued[0]!.recipients).toEqual(['dave@example.com'])
    expect(queued[0]!.message).not.toMatch(/X-Mailing-List|Precedence|The team list/)
  })

  it('forgets a list whose recipient a later plugin refused, keeps the others', async () => {
    const { replies, queued } = await post(
      'alice@example.com',
      ['team@lists.example.org', 'news@lists.example.org'],
      ['team@lists.example.org'],
    )
    expect(replies).toEqual(['550 5.7.1 Not today', '250 2.1.5 <news@lists.example.org>, recipient ok'])
    const [q] = queued
    expect(q!.recipients).toEqual(['carol@example.com'])
    expect(q!.message.match(/^X-Mailing-List: [^\r\n]*/gm)).toEqual(['X-Mailing-List: news.example.org'])
    expect(q!.message).not.toMatch(/The team list/)
    expect([...(q!.notes as Map<Address, { address: string }>).values()].map((l) => l.address)).toEqual([
      'news@lists.example.org',
    ])
  })
})
