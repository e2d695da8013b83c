import { OK } from '@postern/core'
import { loadPluginForTest } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import plugin from '../src/index.js'

describe('queue/discard', () => {
  it('answers OK with its message and warns at load', async () => {
    const h = await loadPluginForTest(plugin, { args: 'message Thanks' })
    const s = h.session()
    s.begin({ sender: 'a@example.org', recipients: ['b@example.com'], message: 'Subject: x\n\ny\n' })
    expect(await h.first('queue', s)).toMatchObject({ code: OK, message: ['Thanks'], enhanced: '2.0.0' })
    expect(h.logs.some((e) => /thrown away/.test(e.message))).toBe(true)
  })
})
