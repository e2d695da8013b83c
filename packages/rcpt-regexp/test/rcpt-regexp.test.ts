import { DECLINED, DENY, DENY_DISCONNECT, DENYSOFT, OK } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const RULES = [
  'me@myhost.org           OK       Accepting mail',
  '/^user\\d+\\@doma\\.in$/   OK',
  'info@myhost.com         DENY     User not found.',
  '/^unused\\@.*/           denysoft 4.2.1 Mailbox disabled for now',
  '/^ANGRY@/               DENY_DISCONNECT  Go away',
  '/^.*@fallthrough\\.example$/  DECLINED Fall through to next rcpt plugin',
  '/^.*@fallthrough\\.example$/  DENY never reached',
]

function load(config: string[] = RULES) {
  return loadPluginForTest(plugin, { config: { rcpt_regexp: config } })
}

async function rcpt(h: PluginHarness, recipient: string) {
  const s = h.session()
  s.begin()
  return h.first('rcpt', s, testAddress(recipient), new Map())
}

describe('rcpt_regexp', () => {
  it('is rcpt_regexp', () => {
    expect(pkg.postern).toEqual({ plugin: 'rcpt_regexp' })
  })

  it('accepts with OK and the comment', async () => {
    const h = await load()
    expect(await rcpt(h, 'ME@myhost.org')).toMatchObject({
      code: OK,
      message: ['Accepting mail'],
      plugin: 'rcpt_regexp',
    })
    expect(await rcpt(h, 'user42@doma.in')).toMatchObject({ code: OK, message: [] })
  })

  it('refuses with the line code, an optional enhanced code and the comment', async () => {
    const h = await load()
    expect(await rcpt(h, 'info@myhost.com')).toMatchObject({ code: DENY, message: ['User not found.'] })
    expect(await rcpt(h, 'unused@x.example')).toMatchObject({
      code: DENYSOFT,
      enhanced: '4.2.1',
      message: ['Mailbox disabled for now'],
    })
    expect((await rcpt(h, 'angry@x.example')).code).toBe(DENY_DISCONNECT)
  })

  it('stops at the first match, DECLINED included', async () => {
    const h = await load()
    expect((await rcpt(h, 'x@fallthrough.example')).code).toBe(DECLINED)
    expect((await rcpt(h, 'user@doma.in')).code).toBe(DECLINED)
  })

  it('compares literals with the whole address, not as a substring', async () => {
    const h = await load()
    expect((await rcpt(h, 'xme@myhost.org')).code).toBe(DECLINED)
  })

  it('reports bad lines at load with file and line', async () => {
    await expect(loadPlugin(plugin, { config: { rcpt_regexp: ['a@b.example'] } })).rejects.toThrow(
      /rcpt_regexp:1: a@b.example: no return code/,
    )
    await expect(loadPlugin(plugin, { config: { rcpt_regexp: ['a@b.example MAYBE'] } })).rejects.toThrow(
      /rcpt_regexp:1: "MAYBE" is not a return code/,
    )
    await expect(
      loadPlugin(plugin, { config: { rcpt_regexp: ['a@b.example OK', 'x@y DONE'] } }),
    ).rejects.toThrow(/rcpt_regexp:2: DONE is not allowed/)
    await expect(loadPlugin(plugin, { config: { rcpt_regexp: ['/^(x/ DENY'] } })).rejects.toThrow(
      /rcpt_regexp:1: pattern \/\^\(x\/: not a valid regular expression/,
    )
    await expect(loadPlugin(plugin, { config: { rcpt_regexp: ['/^(.*)*\\@x$/ DENY'] } })).rejects.toThrow(
      /rcpt_regexp:1: pattern .*exponential/,
    )
  })

  it('sees config changes, and treats __proto__ as data', async () => {
    const h = await load()
    await rcpt(h, 'a@b.example')
    h.writeConfig('rcpt_regexp', ['__proto__@example.com DENY no'])
    expect((await rcpt(h, '__proto__@example.com')).code).toBe(DENY)
    expect((await rcpt(h, 'me@myhost.org')).code).toBe(DECLINED)
  })
})
