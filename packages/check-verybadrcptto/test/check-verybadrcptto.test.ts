import { DECLINED, DENY, DENYSOFT, DENYSOFT_DISCONNECT, deferredReject } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const VERYBAD = ['honeypot@example.com', '@spamtrap.example   This message is refused']

function load(args?: string) {
  return loadPluginForTest(plugin, { args, config: { verybadrcptto: VERYBAD } })
}

async function transaction(h: PluginHarness, recipients: string[]) {
  const s = h.session()
  s.begin({ sender: 'someone@sender.example' })
  const results = []
  for (const r of recipients) results.push(await h.first('rcpt', s, testAddress(r), new Map()))
  return { s, results, data: await h.first('data', s) }
}

describe('check_verybadrcptto', () => {
  it('is check_verybadrcptto', () => {
    expect(pkg.postern).toEqual({ plugin: 'check_verybadrcptto' })
  })

  it('refuses the match, every later recipient and DATA', async () => {
    const h = await load()
    const { results, data } = await transaction(h, [
      'alice@example.com',
      'honeypot@example.com',
      'bob@example.com',
    ])
    expect(results[0]!.code).toBe(DECLINED)
    const text = ['Message refused for every recipient: mail to honeypot@example.com is not accepted']
    expect(results[1]).toMatchObject({ code: DENY, enhanced: '5.7.1', message: text })
    expect(results[2]).toMatchObject({ code: DENY, enhanced: '5.7.1', message: text })
    expect(data).toMatchObject({
      code: DENY,
      enhanced: '5.7.1',
      message: text,
      plugin: 'check_verybadrcptto',
    })
  })

  it('uses the line reason', async () => {
    const h = await load()
    const { results } = await transaction(h, ['x@spamtrap.example'])
    expect(results[0]!.message).toEqual(['This message is refused'])
  })

  it('lets a clean transaction through', async () => {
    const h = await load()
    const { results, data } = await transaction(h, ['alice@example.com'])
    expect(results[0]!.code).toBe(DECLINED)
    expect(data.code).toBe(DECLINED)
  })

  it('honours reject_type', async () => {
    const { data } = await transaction(await load('reject_type temp_disconnect'), ['honeypot@example.com'])
    expect(data.code).toBe(DENYSOFT_DISCONNECT)
    const soft = await load('reject_type soft')
    expect((await transaction(soft, ['honeypot@example.com'])).results[0]!.code).toBe(DENYSOFT)
  })

  it('defers once with reject naughty', async () => {
    const { s, results, data } = await transaction(await load('reject naughty'), [
      'honeypot@example.com',
      'a@example.com',
    ])
    expect([...results.map((r) => r.code), data.code]).toEqual([DECLINED, DECLINED, DECLINED])
    expect(deferredReject(s.connection)?.message).toHaveLength(1)
  })

  it('reports a bad pattern at load', async () => {
    await expect(loadPlugin(plugin, { config: { verybadrcptto: ['[z-a]@example.com'] } })).rejects.toThrow(
      /verybadrcptto:1: pattern/,
    )
  })

  it('sees config changes and treats __proto__ as data', async () => {
    const h = await load()
    await transaction(h, [])
    h.writeConfig('verybadrcptto', '__proto__@example.com\n')
    expect((await transaction(h, ['__proto__@example.com'])).data.code).toBe(DENY)
    expect((await transaction(h, ['honeypot@example.com'])).data.code).toBe(DECLINED)
  })
})
