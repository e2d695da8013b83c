import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  checkCoreRange,
  checkDependencies,
  checkPlugins,
  createLogger,
  createPluginHost,
  definePlugin,
  type PluginDefinition,
  type PluginHost,
  PluginLoadError,
  type ResolvedPlugin,
} from '../src/index.js'

const quiet = () => createLogger({ level: 0, sink: () => {} })
const plugin = (name: string, extra: Partial<PluginDefinition> = {}): PluginDefinition =>
  definePlugin({ name, core: '^1.0.0', hooks: {}, ...extra })
const resolved = (def: PluginDefinition, line = 1, instance = def.name): ResolvedPlugin => ({
  line: { name: def.name, instance, args: [], file: 'plugins', line },
  definition: def,
})

describe('checkCoreRange', () => {
  it('names the plugin, its range and the running core when the range does not match', () => {
    const p = resolved(plugin('old_thing', { core: '^2.3.0' }))
    expect(checkCoreRange(p, '1.4.0')).toBe(
      'plugin old_thing requires @postern/core ^2.3.0, but the running core is 1.4.0',
    )
    expect(checkCoreRange(p, '2.4.1')).toBeUndefined()
  })

  it('names the package and its version when the plugin came from one', () => {
    const p: ResolvedPlugin = {
      ...resolved(plugin('pkg_thing', { core: '~1.0.0' })),
      module: { entry: '/x/index.js', packageName: '@acme/pkg-thing', packageVersion: '3.1.4' },
    }
    expect(checkCoreRange(p, '1.1.0')).toBe(
      'plugin pkg_thing (@acme/pkg-thing 3.1.4) requires @postern/core ~1.0.0, but the running core is 1.1.0',
    )
  })

  it('refuses a range that is not semver, naming plugin and range', () => {
    // definePlugin only checks that `core` is a string; the load decides whether it is a range.
    const p = resolved(plugin('sloppy', { core: 'version one please' }))
    expect(checkCoreRange(p, '1.0.0')).toBe(
      'plugin sloppy declares an invalid core range "version one please"',
    )
  })
})

describe('checkDependencies', () => {
  const needy = plugin('needy', { dependencies: ['base_plugin'] })

  it('names the plugin and the missing dependency', () => {
    expect(checkDependencies(resolved(needy, 2), [resolved(plugin('other'))])).toEqual([
      'plugin needy depends on "base_plugin", which is not listed before it in config/plugins',
    ])
  })

  it('is satisfied by a plugin before it, by name, alias or config line name', () => {
    expect(checkDependencies(resolved(needy), [resolved(plugin('base_plugin'))])).toEqual([])
    expect(
      checkDependencies(resolved(needy), [resolved(plugin('new_base', { aliases: ['base_plugin'] }))]),
    ).toEqual([])
    const byLine: ResolvedPlugin = {
      line: { name: 'base_plugin', instance: 'base_plugin', args: [], file: 'plugins', line: 1 },
      definition: plugin('renamed_base'),
    }
    expect(checkDependencies(resolved(needy), [byLine])).toEqual([])
  })

  it('reports every problem of every plugin in checkPlugins, in config order', () => {
    const reports = checkPlugins(
      [
        resolved(needy, 1),
        resolved(plugin('base_plugin'), 2),
        resolved(plugin('future', { core: '^9.0.0' }), 3),
      ],
      '1.0.0',
    )
    expect(reports.map((r) => r.compatible)).toEqual([false, true, false])
    expect(reports[0]!.problems[0]).toMatch(/needy depends on "base_plugin"/)
    expect(reports[2]!.problems[0]).toMatch(
      /future requires @postern\/core \^9\.0\.0, but the running core is 1\.0\.0/,
    )
  })
})

describe('createPluginHost refusals', () => {
  let dir: string
  let host: PluginHost | undefined
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'postern-loader-'))
  })
  afterEach(async () => {
    await host?.close()
    host = undefined
    rmSync(dir, { recursive: true, force: true })
  })
  const load = (plugins: string, definitions: PluginDefinition[], files: Record<string, string> = {}) => {
    writeFileSync(path.join(dir, 'plugins'), plugins)
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
    return createPluginHost({
      configDir: dir,
      definitions,
      searchDirs: [dir],
      log: quiet(),
      config: { qmailControlDir: false },
    })
  }
  const refusal = async (p: Promise<unknown>): Promise<PluginLoadError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(PluginLoadError)
    return err as PluginLoadError
  }

  it('names the failing plugin (not the first listed) for a missing dependency', async () => {
    const err = await refusal(
      load('fine\nneedy\n', [plugin('fine'), plugin('needy', { dependencies: ['base_plugin'] })]),
    )
    expect(err.plugin).toBe('needy')
    expect(err.where).toMatchObject({ file: path.join(dir, 'plugins'), line: 2 })
    expect(err.message).toBe(
      'plugin needy depends on "base_plugin", which is not listed before it in config/plugins',
    )
  })

  it('refuses a dependency listed after the plugin that needs it', async () => {
    const err = await refusal(
      load('needy\nbase_plugin\n', [
        plugin('needy', { dependencies: ['base_plugin'] }),
        plugin('base_plugin'),
      ]),
    )
    expect(err.plugin).toBe('needy')
  })

  it('names the failing plugin, its range and the core version for a mismatch', async () => {
    const err = await refusal(
      load('fine\nfuture:2\n', [plugin('fine'), plugin('future', { core: '>=7.0.0' })]),
    )
    expect(err.plugin).toBe('future:2')
    expect(err.message).toMatch(
      /^plugin future:2 requires @postern\/core >=7\.0\.0, but the running core is 1\./,
    )
  })

  it('refuses an invalid core range given to definePlugin', async () => {
    const err = await refusal(load('sloppy\n', [plugin('sloppy', { core: 'latest' })]))
    expect(err.plugin).toBe('sloppy')
    expect(err.message).toBe('plugin sloppy declares an invalid core range "latest"')
  })

  it('a plugin that is not installed is a PluginLoadError naming it, its file and line', async () => {
    const err = await refusal(load('fine\nnot_installed_anywhere arg\n', [plugin('fine')]))
    expect(err.plugin).toBe('not_installed_anywhere')
    expect(err.where).toMatchObject({ file: path.join(dir, 'plugins'), line: 2 })
    expect(err.message).toContain(`${path.join(dir, 'plugins')}:2: plugin not_installed_anywhere not found`)
    expect(err.message).toContain('@postern/not-installed-anywhere')
  })

  it('a plugin file that does not import is a PluginLoadError naming it', async () => {
    writeFileSync(path.join(dir, 'broken.mjs'), 'export default {\n')
    const err = await refusal(load('./broken.mjs\n', []))
    expect(err.plugin).toBe('./broken.mjs')
    expect(err.message).toMatch(/:1: plugin \.\/broken\.mjs: cannot import/)
  })

  it('a setup that throws refuses the load, naming the plugin and its line', async () => {
    const bad = definePlugin({
      name: 'bad_setup',
      core: '^1.0.0',
      setup: () => {
        throw new Error('no database')
      },
    })
    const err = await refusal(load('fine\nbad_setup\n', [plugin('fine'), bad]))
    expect(err.plugin).toBe('bad_setup')
    expect(err.message).toBe(`plugin bad_setup (${path.join(dir, 'plugins')}:2) failed to load: no database`)
  })

  it('a setup that never settles times out after plugin_timeout, and its signal aborts', async () => {
    let signal: AbortSignal | undefined
    const hanging = definePlugin({
      name: 'hanging',
      core: '^1.0.0',
      setup: (ctx) => {
        signal = ctx.signal
        return new Promise<undefined>(() => {})
      },
    })
    const err = await refusal(load('hanging hook_timeout 0.01\n', [hanging], { plugin_timeout: '0.05\n' }))
    expect(err.plugin).toBe('hanging')
    expect(err.message).toMatch(
      /^plugin hanging \(.*plugins:1\) failed to load: setup did not finish within 50 ms$/,
    )
    expect(signal?.aborted).toBe(true)
  })

  it('an async setup that finishes in time loads', async () => {
    const slowish = definePlugin({
      name: 'slowish',
      core: '^1.0.0',
      setup: async () => ({ noop: () => undefined }),
    })
    host = await load('slowish\n', [slowish])
    expect(host.plugins[0]?.hooks).toEqual(['noop'])
  })
})
