/**
 * Harnesses owned by the test that loaded them: closed when it ends, passed or failed, so a test
 * file keeps no list of harnesses and no afterEach to close them.
 *
 * vitest is imported here only when the function runs, never at module load: the package's main
 * entry must load from CommonJS (vitest refuses `require()`) and without vitest installed (it is
 * an optional peer).
 */
import type { PluginDefinition } from '@postern/core'
import { type LoadPluginOptions, loadPlugin, type PluginHarness } from './harness.js'

type OnTestFinished = typeof import('vitest').onTestFinished

let vitest: Promise<OnTestFinished> | undefined

function importOnTestFinished(): Promise<OnTestFinished> {
  vitest ??= import('vitest').then(
    (v) => v.onTestFinished,
    (err: unknown) => {
      vitest = undefined // installing vitest later in the same process should work
      throw new Error(
        'loadPluginForTest needs vitest (an optional peer dependency of @postern/testing); ' +
          'install it, or use loadPlugin and close the harness yourself',
        { cause: err },
      )
    },
  )
  return vitest
}

/** `loadPlugin`, closed when the current vitest test finishes. Call it inside a test. */
export async function loadPluginForTest(
  plugin: PluginDefinition,
  options: LoadPluginOptions = {},
): Promise<PluginHarness> {
  // Before loading: without vitest there is nothing to close the harness, so load nothing.
  const onTestFinished = await importOnTestFinished()
  const h = await loadPlugin(plugin, options)
  onTestFinished(() => h.close())
  return h
}
