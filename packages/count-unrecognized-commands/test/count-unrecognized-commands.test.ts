import { DECLINED, DENY_DISCONNECT, definePlugin, done } from '@postern/core'
import { loadPlugin, loadPluginForTest } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { NOTE } from '../src/index.js'

describe('count_unrecognized_commands', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(plugin.name).toBe(pkg.postern.plugin)
  })

  it('declines three unknown commands, then refuses the fourth with DENY_DISCONNECT 5.5.1', async () => {
    const h = await loadPluginForTest(plugin)
    const s = h.session()
    for (let i = 0; i < 3; i++)
      expect((await h.first('unrecognized_command', s, 'get', '/ HTTP/1.0')).code).toBe(DECLINED)
    expect(await h.first('unrecognized_command', s, 'host:', 'example.com')).toMatchObject({
      code: DENY_DISCONNECT,
      enhanced: '5.5.1',
      message: ['Closing connection, 4 unrecognized commands. Perhaps you should read RFC 5321?'],
      plugin: 'count_unrecognized_commands',
    })
    expect(s.connection.notes.get(NOTE)).toBe(4)
  })

  it('reads the limit as the first word or as max N', async () => {
    const first = await loadPluginForTest(plugin, { args: '1' })
    expect((await first.first('unrecognized_command', first.session(), 'x', '')).code).toBe(DENY_DISCONNECT)
    const h = await loadPluginForTest(plugin, { args: 'max 2' })
    const s = h.session()
    expect((await h.first('unrecognized_command', s, 'x', '')).code).toBe(DECLINED)
    expect((await h.first('unrecognized_command', s, 'x', '')).code).toBe(DENY_DISCONNECT)
  })

  it('counts per connection', async () => {
    const h = await loadPluginForTest(plugin, { args: '2' })
    const a = h.session()
    const b = h.session()
    expect((await h.first('unrecognized_command', a, 'x', '')).code).toBe(DECLINED)
    expect((await h.first('unrecognized_command', b, 'x', '')).code).toBe(DECLINED)
    expect((await h.first('unrecognized_command', a, 'x', '')).code).toBe(DENY_DISCONNECT)
  })

  it('does not count a verb that an earlier plugin handled', async () => {
    const xverb = definePlugin({
      name: 'xverb',
      core: '^1.0.0',
      hooks: {
        async unrecognized_command(ctx, verb) {
          if (verb !== 'xhello') return
          await ctx.respond(250, 'hello')
          return done()
        },
      },
    })
    const h = await loadPluginForTest(plugin, { args: '1', before: [{ plugin: xverb }] })
    const s = h.session()
    expect((await h.first('unrecognized_command', s, 'xhello', '')).plugin).toBe('xverb')
    expect(s.connection.notes.get(NOTE)).toBeUndefined()
  })

  it('keeps a hostile verb out of its reply and survives a huge one', async () => {
    const h = await loadPluginForTest(plugin, { args: '1' })
    const r = await h.first('unrecognized_command', h.session(), '__proto__'.repeat(10_000), '\r\n')
    expect(r.code).toBe(DENY_DISCONNECT)
    expect(r.message.join('')).not.toContain('__proto__')
  })

  it('refuses a bad limit at load', async () => {
    await expect(loadPlugin(plugin, { args: 'max many' })).rejects.toThrow(/positive integer/)
  })
})
