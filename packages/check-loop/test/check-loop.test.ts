import { DECLINED, DENY } from '@postern/core'
import { loadPlugin, loadPluginForTest } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

function message(received: number, delivered = 0): string {
  const lines: string[] = []
  for (let i = 0; i < received; i++)
    lines.push(`Received: from hop${i}.example.net by mx.example.org; Mon, 1 Jan 2024 00:00:0${i % 10} +0000`)
  for (let i = 0; i < delivered; i++) lines.push(`Delivered-To: user${i}@example.org`)
  return `${lines.join('\n')}\nFrom: a@example.com\nSubject: hi\n\nbody\n`
}

async function run(args: string, text: string) {
  const h = await loadPluginForTest(plugin, { args })
  const s = h.session()
  s.begin({ sender: 'a@example.com', recipients: ['b@example.org'], message: text })
  return h.first('data_post', s)
}

describe('check_loop', () => {
  it('declares its core range and aliases as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
    expect(plugin.aliases).toEqual(pkg.postern.aliases)
    expect(plugin.name).toBe(pkg.postern.plugin)
  })

  it('accepts a message below the default limit of 100', async () => {
    expect((await run('', message(99))).code).toBe(DECLINED)
  })

  it('refuses at 100 hops with 554-class 5.4.6', async () => {
    const r = await run('', message(100))
    expect(r).toMatchObject({
      code: DENY,
      enhanced: '5.4.6',
      message: ['Too many hops. This message is looping.'],
      plugin: 'check_loop',
    })
  })

  it('counts Delivered-To with Received (case-insensitive names)', async () => {
    expect((await run('max 5', message(3, 1))).code).toBe(DECLINED)
    const text = message(3, 1).replace('From:', 'DELIVERED-TO: x@example.org\nFrom:')
    expect((await run('max 5', text)).code).toBe(DENY)
  })

  it('honours the positional argument of the old check_loop', async () => {
    expect((await run('3', message(2))).code).toBe(DECLINED)
    expect((await run('3', message(3))).code).toBe(DENY)
  })

  it('refuses a bad max at load', async () => {
    await expect(loadPlugin(plugin, { args: 'max 0' })).rejects.toThrow(/max must be a positive integer/)
  })

  it('is not confused by hostile header names', async () => {
    const text = `__proto__: x\nconstructor: y\n${message(1)}`
    expect((await run('max 2', text)).code).toBe(DECLINED)
  })
})
