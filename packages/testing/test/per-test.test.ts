import { existsSync } from 'node:fs'
import { definePlugin, ok } from '@postern/core'
import { describe, expect, it } from 'vitest'
import { loadPlugin, loadPluginForTest, type PluginHarness } from '../src/index.js'

const plugin = definePlugin({ name: 'nothing', core: '^1.0.0', hooks: { rcpt: () => ok() } })

describe('loadPluginForTest', () => {
  let first: PluginHarness | undefined
  let closedEarly: PluginHarness | undefined

  it('gives a harness that lives for the test', async () => {
    first = await loadPluginForTest(plugin)
    closedEarly = await loadPluginForTest(plugin, { config: { some: 'file\n' } })
    await closedEarly.close() // and closing it again when the test ends does no harm
    expect(existsSync(first.configDir)).toBe(true)
  })

  it('closed it when that test ended', () => {
    expect(existsSync(first!.configDir)).toBe(false)
    expect(existsSync(closedEarly!.configDir)).toBe(false)
  })
})

it('a harness can be closed twice', async () => {
  const h = await loadPlugin(plugin)
  await Promise.all([h.close(), h.close()])
  await h.close()
  expect(existsSync(h.configDir)).toBe(false)
})
