import { Address, DENY, definePlugin, deny, ok } from '@postern/core'
import { loadPluginForTest } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

describe('address_notes', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(plugin.name).toBe(pkg.postern.plugin)
  })

  it('loads from a qpsmtpd plugins line and registers no hook', async () => {
    const h = await loadPluginForTest(plugin)
    expect(h.host.plugins).toMatchObject([{ name: 'address_notes', hooks: [] }])
  })

  it('what it stood for works through core: a note set at RCPT is read at data_post', async () => {
    // One plugin records a per-recipient option, another acts on it later: the seed's use case.
    const options = definePlugin({
      name: 'options',
      core: '^1.0.0',
      hooks: {
        rcpt(_ctx, r) {
          r.notes.set('spam_level', r.user === 'strict' ? 1 : 10)
          r.notes.set('__proto__', 'harmless')
          return ok()
        },
      },
    })
    const filter = definePlugin({
      name: 'filter',
      core: '^1.0.0',
      hooks: {
        data_post(ctx) {
          const strict = ctx.transaction.recipients.filter(
            (r) => (r.notes.value<number>('spam_level') ?? 5) < 5,
          )
          if (strict.length) return deny(`too strict for ${strict.map((r) => r.address).join(', ')}`)
        },
      },
    })
    const h = await loadPluginForTest(filter, { before: [{ plugin: options }, { plugin }] })
    const s = h.session()
    const tx = s.begin({ sender: 'a@example.com', message: 'Subject: x\n\nx\n' })
    for (const user of ['strict', 'easy']) {
      const r = Address.parse(`<${user}@example.org>`)
      await h.first('rcpt', s, r, new Map())
      tx.addRecipient(r) // as the engine does after OK
    }
    expect(await h.first('data_post', s)).toMatchObject({
      code: DENY,
      message: ['too strict for strict@example.org'],
    })
    expect(tx.recipients[0]!.notes.get('__proto__')).toBe('harmless')
  })
})
