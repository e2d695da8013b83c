import { setTimeout as sleep } from 'node:timers/promises'
import { LOG } from '@postern/core'
import { loadPlugin, loadPluginForTest } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { NOTE, NOTE_START } from '../src/index.js'

describe('connection_time', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('logs the duration from pre-connection to post-connection, with fields', async () => {
    const h = await loadPluginForTest(plugin)
    const s = h.session({ remoteIp: '192.0.2.7' })
    await h.first('pre-connection', s)
    await h.first('connect', s)
    await sleep(5)
    await h.notify('post-connection', s)
    const seconds = s.connection.notes.get(NOTE) as number
    expect(seconds).toBeGreaterThan(0)
    const entry = h.logs.find((l) => l.message.startsWith('Connection time from 192.0.2.7: '))
    expect(entry).toMatchObject({
      level: LOG.NOTICE,
      plugin: 'connection_time',
      fields: { seconds, remoteIp: '192.0.2.7' },
    })
    expect(entry!.message).toBe(`Connection time from 192.0.2.7: ${seconds.toFixed(3)} s`)
  })

  it('keeps the pre-connection start when connect runs later', async () => {
    const h = await loadPluginForTest(plugin)
    const s = h.session()
    await h.first('pre-connection', s)
    const first = s.connection.notes.get(NOTE_START)
    await sleep(2)
    await h.first('connect', s)
    expect(s.connection.notes.get(NOTE_START)).toBe(first)
  })

  it('starts at connect when there was no pre-connection', async () => {
    const h = await loadPluginForTest(plugin, { args: 'precision 1' })
    const s = h.session()
    await h.first('connect', s)
    await h.notify('post-connection', s)
    expect(h.logs.some((l) => /^Connection time from .*: \d+\.\d s$/.test(l.message))).toBe(true)
  })

  it('logs nothing for a session it never saw start', async () => {
    const h = await loadPluginForTest(plugin)
    const s = h.session()
    await h.notify('post-connection', s)
    expect(s.connection.notes.has(NOTE)).toBe(false)
    expect(h.logs.filter((l) => l.message.startsWith('Connection time'))).toEqual([])
  })

  it('honours the loglevel argument', async () => {
    const h = await loadPluginForTest(plugin, { args: 'loglevel 4' })
    const s = h.session()
    await h.first('connect', s)
    await h.notify('post-connection', s)
    expect(h.logs.find((l) => l.message.startsWith('Connection time'))?.level).toBe(LOG.WARN)
  })

  it('refuses a bad precision at load', async () => {
    await expect(loadPlugin(plugin, { args: 'precision 9' })).rejects.toThrow(/precision/)
  })
})
