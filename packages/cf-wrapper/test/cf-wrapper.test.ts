import {
  Address,
  DECLINED,
  DENY,
  DENYSOFT,
  definePlugin,
  deny,
  denysoft,
  MemoryStore,
  OK,
  ok,
} from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, type TestSession } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, {
  defineContentFilter,
  outcomeOf,
  recipientVerdicts,
  retryKey,
  setRecipientVerdict,
} from '../src/index.js'

/** A per-recipient filter: users named strict* refuse the message permanently, busy* temporarily. */
const perUser = defineContentFilter({
  name: 'per_user',
  core: '^1.0.0',
  setup: () => ({
    scan: (_ctx, recipients) =>
      recipients.map((r) =>
        r.user.startsWith('strict')
          ? deny('Spam for this recipient', '5.7.1')
          : r.user.startsWith('busy')
            ? denysoft('Quota check failed', '4.2.2')
            : undefined,
      ),
  }),
})

/** A second filter answering by Address, to show both shapes and ordering. */
const tagger = defineContentFilter({
  name: 'tagger',
  core: '^1.0.0',
  setup: () => ({
    scan: (_ctx, recipients) =>
      new Map(recipients.map((r) => [r, r.user === 'tagged' ? deny('Tagged', '5.7.1') : ok()])),
  }),
})

/** Accepts every recipient at RCPT, like rcpt_ok would. */
const acceptAll = definePlugin({ name: 'accept_all', core: '^1.0.0', hooks: { rcpt: () => ok() } })

function load(args = '', store = new MemoryStore()) {
  // cf_wrapper is listed first on purpose: its data_post runs after the filters anyway (order post).
  return loadPluginForTest(acceptAll, {
    before: [{ plugin, args }, { plugin: perUser }, { plugin: tagger }],
    store,
  })
}

async function transaction(
  h: PluginHarness,
  s: TestSession,
  recipients: string[],
  sender = 'alice@example.com',
) {
  const tx = s.begin({ sender, message: 'Subject: x\n\nbody\n' })
  const results = []
  for (const r of recipients) {
    const addr = Address.parse(`<${r}>`)
    const res = await h.first('rcpt', s, addr, new Map())
    if (res.code === OK) tx.addRecipient(addr)
    results.push(res)
  }
  return { tx, results }
}

describe('cf_wrapper', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('keeps verdicts in address notes, and a recipient is refused if any filter refused it', () => {
    const r = Address.parse('<x@example.org>')
    setRecipientVerdict(r, 'a', denysoft('later'))
    setRecipientVerdict(r, 'b', ok())
    expect(outcomeOf(r)).toMatchObject({ kind: 'temp', filter: 'a' })
    setRecipientVerdict(r, 'c', deny('no', '5.7.1'))
    expect(outcomeOf(r)).toMatchObject({ kind: 'perm', filter: 'c', message: ['no'] })
    setRecipientVerdict(r, 'c', undefined)
    expect([...recipientVerdicts(r).keys()]).toEqual(['a', 'b'])
  })

  it('declines when every recipient is accepted', async () => {
    const h = await load()
    const s = h.session()
    await transaction(h, s, ['bob@example.org', 'carol@example.org'])
    expect((await h.first('data_post', s)).code).toBe(DECLINED)
  })

  it('refuses with the filter answer when every recipient is refused the same way', async () => {
    const h = await load()
    const s = h.session()
    await transaction(h, s, ['strict@example.org', 'strict3@example.org'])
    expect(await h.first('data_post', s)).toMatchObject({
      code: DENY,
      enhanced: '5.7.1',
      message: ['Spam for this recipient'],
      plugin: 'cf_wrapper',
    })
    const t = h.session()
    await transaction(h, t, ['busy@example.org'])
    expect(await h.first('data_post', t)).toMatchObject({ code: DENYSOFT, enhanced: '4.2.2' })
  })

  it('mixed defer: 451 now, then the refused recipients are refused at RCPT on retry and the rest delivered', async () => {
    const store = new MemoryStore()
    const h = await load('', store)
    const s = h.session()
    await transaction(h, s, ['bob@example.org', 'strict@example.org', 'busy@example.org'])
    expect(await h.first('data_post', s)).toMatchObject({
      code: DENYSOFT,
      enhanced: '4.7.0',
      reply: 451,
      message: ['Some recipients refused this message; please try again (they will be refused one by one)'],
    })
    // The retry: same sender, same recipients.
    const retry = h.session()
    const { tx, results } = await transaction(h, retry, [
      'bob@example.org',
      'strict@example.org',
      'busy@example.org',
    ])
    expect(results.map((r) => r.code)).toEqual([OK, DENY, DENYSOFT])
    expect(results[1]).toMatchObject({
      message: ['Spam for this recipient'],
      enhanced: '5.7.1',
      plugin: 'cf_wrapper',
    })
    expect(results[2]).toMatchObject({ message: ['Quota check failed'], enhanced: '4.2.2' })
    expect(tx.recipients.map((r) => r.address)).toEqual(['bob@example.org'])
    expect((await h.first('data_post', retry)).code).toBe(DECLINED)
    // A record is used once: the next attempt is judged afresh.
    const again = h.session()
    expect((await transaction(h, again, ['strict@example.org'])).results[0]!.code).toBe(OK)
  })

  it('keys retry records by sender and recipient, case-insensitively, with a TTL', async () => {
    const store = new MemoryStore()
    const h = await load('retry_ttl 60', store)
    const s = h.session()
    await transaction(h, s, ['bob@example.org', 'strict@example.org'])
    await h.first('data_post', s)
    expect(await store.get(`cf_wrapper:${retryKey('Alice@Example.com', 'STRICT@example.org')}`)).toBeDefined()
    const other = h.session()
    expect((await transaction(h, other, ['strict@example.org'], 'dave@example.com')).results[0]!.code).toBe(
      OK,
    )
  })

  it('mixed accept: drops the refused recipients and lets the message through', async () => {
    const h = await load('mixed accept')
    const s = h.session()
    const { tx } = await transaction(h, s, ['bob@example.org', 'strict@example.org', 'tagged@example.org'])
    expect((await h.first('data_post', s)).code).toBe(DECLINED)
    expect(tx.recipients.map((r) => r.address)).toEqual(['bob@example.org'])
  })

  it('mixed reject: refuses the whole message, permanently if any refusal was', async () => {
    const h = await load('mixed reject')
    const s = h.session()
    await transaction(h, s, ['bob@example.org', 'busy@example.org', 'tagged@example.org'])
    expect(await h.first('data_post', s)).toMatchObject({ code: DENY, message: ['Tagged'] })
    const t = h.session()
    await transaction(h, t, ['bob@example.org', 'busy@example.org'])
    expect((await h.first('data_post', t)).code).toBe(DENYSOFT)
  })

  it('works listed after the plugin that accepts recipients (its RCPT hook runs first)', async () => {
    const store = new MemoryStore()
    const h = await loadPluginForTest(plugin, { before: [{ plugin: acceptAll }, { plugin: perUser }], store })
    const s = h.session()
    await transaction(h, s, ['bob@example.org', 'strict@example.org'])
    expect((await h.first('data_post', s)).code).toBe(DENYSOFT)
    const retry = h.session()
    expect(
      (await transaction(h, retry, ['bob@example.org', 'strict@example.org'])).results.map((r) => r.code),
    ).toEqual([OK, DENY])
  })

  it('ignores a corrupt retry record', async () => {
    const store = new MemoryStore()
    await store.set(`cf_wrapper:${retryKey('alice@example.com', 'bob@example.org')}`, '{"__proto__":1')
    const h = await load('', store)
    const s = h.session()
    expect((await transaction(h, s, ['bob@example.org'])).results[0]!.code).toBe(OK)
  })

  it('refuses bad arguments at load', async () => {
    await expect(loadPlugin(plugin, { args: 'mixed maybe' })).rejects.toThrow(/mixed must be/)
    await expect(loadPlugin(plugin, { args: 'retry_ttl 0' })).rejects.toThrow(/retry_ttl must be/)
  })
})
