import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { buildCdb } from '@postern/address-lists'
import { DECLINED, DENY, OK } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness, testAddress } from '@postern/testing'
import { afterEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const CONFIG = {
  relayclients: [
    '# office',
    '192.0.2.7',
    '198.51.100.',
    '10.1.0.0/16',
    'fdda:b13d:e431:ae06:',
    '2001:db8::/32',
  ],
  morerelayclients: ['203.0.113.9'],
  norelayclients: ['198.51.100.25'],
}

afterEach(() => {
  delete process.env.RELAYCLIENT
})

function load(args?: string) {
  return loadPluginForTest(plugin, { args, config: CONFIG })
}

async function connect(h: PluginHarness, ip: string) {
  const s = h.session({ remoteIp: ip })
  const r = await h.first('connect', s)
  return { s, r, relay: s.connection.relayClient }
}

describe('check_relay', () => {
  it('is check_relay, alias relay', () => {
    expect(pkg.postern).toEqual({ plugin: 'check_relay', aliases: ['relay'] })
  })

  it('marks listed clients as relay clients: exact, prefix, CIDR, IPv6, morerelayclients', async () => {
    const h = await load()
    for (const ip of [
      '192.0.2.7',
      '198.51.100.200',
      '10.1.3.4',
      'fdda:b13d:e431:ae06::1',
      '2001:db8:1::9',
      '203.0.113.9',
      '::ffff:192.0.2.7',
    ]) {
      const { r, relay } = await connect(h, ip)
      expect(r.code).toBe(DECLINED)
      expect(relay, ip).toBe(true)
    }
  })

  it('leaves other clients alone', async () => {
    const h = await load()
    for (const ip of ['192.0.2.8', '10.2.0.1', 'fdda:b13d:e431:ae07::1', '127.0.0.1', '::1'])
      expect((await connect(h, ip)).relay, ip).toBe(false)
  })

  it('lets norelayclients override relayclients', async () => {
    const h = await load()
    expect((await connect(h, '198.51.100.25')).relay).toBe(false)
    expect(h.logs.some((e) => /198\.51\.100\.25 in norelayclients/.test(e.message))).toBe(true)
  })

  it('lets every client relay when RELAYCLIENT is set, except norelayclients', async () => {
    process.env.RELAYCLIENT = ''
    const h = await load()
    expect((await connect(h, '192.0.2.99')).relay).toBe(true)
    expect((await connect(h, '198.51.100.25')).relay).toBe(false)
    expect(h.logs.some((e) => /RELAYCLIENT is set/.test(e.message))).toBe(true)
  })

  it('reads morerelayclients.cdb with qpsmtpd prefix keys', async () => {
    const h = await load()
    await connect(h, '192.0.2.1')
    writeFileSync(path.join(h.configDir, 'morerelayclients.cdb'), buildCdb([['172.16.'], ['192.0.2.44']]))
    expect((await connect(h, '172.16.9.9')).relay).toBe(true)
    expect((await connect(h, '192.0.2.44')).relay).toBe(true)
    expect((await connect(h, '172.17.0.1')).relay).toBe(false)
  })

  it('with only 1, accepts relay clients at RCPT and refuses the rest', async () => {
    const h = await load('only 1')
    const { s } = await connect(h, '192.0.2.7')
    s.begin()
    expect((await h.first('rcpt', s, testAddress('x@anywhere.example'), new Map())).code).toBe(OK)
    const other = (await connect(h, '192.0.2.8')).s
    other.begin()
    expect(await h.first('rcpt', other, testAddress('x@anywhere.example'), new Map())).toMatchObject({
      code: DENY,
      enhanced: '5.7.1',
      message: ['Relaying denied'],
    })
  })

  it('has no rcpt hook without only', async () => {
    const h = await load()
    const { s } = await connect(h, '192.0.2.8')
    s.begin()
    expect((await h.first('rcpt', s, testAddress('x@anywhere.example'), new Map())).code).toBe(DECLINED)
  })

  it('sees relayclients change', async () => {
    const h = await load()
    expect((await connect(h, '192.0.2.200')).relay).toBe(false)
    h.writeConfig('relayclients', ['192.0.2.200'])
    expect((await connect(h, '192.0.2.200')).relay).toBe(true)
  })

  it('reports a line that is not an IP entry at load, with file and line', async () => {
    await expect(
      loadPlugin(plugin, { config: { relayclients: ['192.0.2.1', 'mail.example.com'] } }),
    ).rejects.toThrow(/relayclients:2: "mail.example.com" is not an IP address/)
    await expect(loadPlugin(plugin, { config: { norelayclients: ['__proto__'] } })).rejects.toThrow(
      /norelayclients:1: "__proto__" is not an IP address/,
    )
  })
})
