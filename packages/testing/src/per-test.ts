/**
 * Harnesses owned by the test that loaded them: closed when it ends, passed or failed, so a test
 * file keeps no list of harnesses and no afterEach to close them.
 */
import type { PluginDefinition } from '@postern/core'
import { onTestFinished } from 'vitest'
import { type LoadPluginOptions, loadPlugin, type PluginHarness } from './harness.js'

/** `loadPlugin`, closed when the current vitest test finishes. Call it inside a test. */
export async function loadPluginForTest(
  plugin: PluginDefinition,
  options: LoadPluginOptions = {},
): Promise<PluginHarness> {
  const h = await loadPlugin(plugin, options)
  onTestFinished(() => h.close())
  return h
}
