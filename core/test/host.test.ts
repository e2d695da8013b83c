import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ConfigError,
  createLogger,
  createPluginHost,
  definePlugin,
  ok,
  type PluginConfig,
  type PluginDefinition,
  type PluginHost,
  PluginLoadError,
} from '../src/index.js'

const quiet = () => createLogger({ level: 0, sink: () => {} })

let dir: string
let host: PluginHost | undefined
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'postern-host-'))
})
afterEach(async () => {
  await host?.close()
  host = undefined
  rmSync(dir, { recursive: true, force: true })
})

function load(files: Record<string, string>, definitions: PluginDefinition[] = []) {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  return createPluginHost({
    configDir: dir,
    definitions,
    log: quiet(),
    config: { qmailControlDir: false, watch: false },
  })
}

const idle = definePlugin({ name: 'idle', core: '^1.0.0', hooks: { noop: () => undefined } })

describe('core settings', () => {
  it('plugin_timeout (seconds) is every plugin hook timeout unless hook_timeout says otherwise', async () => {
    host = await load({ plugins: 'idle\nidle:2 hook_timeout 2\n', plugin_timeout: '0.5\n' }, [idle])
    expect(host.dispatcher.plugins.map((p) => p.timeout)).toEqual([500, 2000])
  })

  it.each([
    ['plugin_timeout', 'abc'],
    ['plugin_timeout', '0'],
    ['plugin_timeout', '-5'],
    ['plugin_timeout', '30s'],
    ['dns_timeout', '0'],
    ['dns_timeout', 'five'],
  ])('%s %j is a ConfigError naming the file and line', async (name, value) => {
    const err = await load({ plugins: 'idle\n', [name]: `# seconds\n${value}\n` }, [idle]).catch((e) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect(err).toMatchObject({ file: path.join(dir, name), line: 2 })
    expect(err.message).toBe(
      `${path.join(dir, name)}:2: ${name} must be a positive number of seconds, not ${JSON.stringify(value)}`,
    )
  })

  it.each(['0', 'soon', '5s'])(
    'hook_timeout %j refuses the plugin, naming it and its line',
    async (value) => {
      const err = await load({ plugins: `idle\nidle:2 hook_timeout ${value}\n` }, [idle]).catch((e) => e)
      expect(err).toBeInstanceOf(PluginLoadError)
      expect(err).toMatchObject({ plugin: 'idle:2', where: { line: 2 } })
      expect(err.message).toBe(
        `plugin idle:2 (${path.join(dir, 'plugins')}:2): hook_timeout must be a positive number of seconds, not ${JSON.stringify(value)}`,
      )
    },
  )

  it.each(['-1', 'never'])(
    'dns_failure_ttl %j is a ConfigError (0, turning the cache off, is fine)',
    async (value) => {
      const err = await load({ plugins: 'idle\n', dns_failure_ttl: `${value}\n` }, [idle]).catch((e) => e)
      expect(err).toBeInstanceOf(ConfigError)
      expect(err.message).toBe(
        `${path.join(dir, 'dns_failure_ttl')}:1: dns_failure_ttl must be a non-negative number of seconds, not ${JSON.stringify(value)}`,
      )
      host = await load({ plugins: 'idle\n', dns_failure_ttl: '0\n' }, [idle])
      expect(host.plugins).toHaveLength(1)
    },
  )

  it('a bad dns_servers line is a ConfigError naming the file and line', async () => {
    const err = await load({ plugins: '', dns_servers: '192.0.2.53\n192.0.2.54:99999\n' }).catch((e) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect(err).toMatchObject({ file: path.join(dir, 'dns_servers'), line: 2 })
    expect(err.message).toMatch(/dns_servers:2: bad DNS server "192\.0\.2\.54:99999"/)
  })

  it('valid timeouts and servers load', async () => {
    host = await load(
      { plugins: 'idle\n', dns_timeout: '2.5\n', dns_servers: '192.0.2.53\n[2001:db8::53]:5353\n' },
      [idle],
    )
    expect(host.plugins.map((p) => p.instance)).toEqual(['idle'])
  })
})

describe('config/plugins', () => {
  it('accepts tabs between the name and its arguments', async () => {
    host = await load({ plugins: 'idle\tloglevel\t-1\nidle:2 \t hook_timeout\t3\n' }, [idle])
    expect(host.dispatcher.plugins.map((p) => [p.info.instance, p.info.args.words])).toEqual([
      ['idle', ['loglevel', '-1']],
      ['idle:2', ['hook_timeout', '3']],
    ])
    expect(host.dispatcher.plugins[1]?.timeout).toBe(3000)
  })

  it('trims lines given in code', async () => {
    host = await createPluginHost({
      configDir: dir,
      definitions: [idle],
      pluginLines: ['  idle max 1 ', '\tidle:2'],
      log: quiet(),
      config: { qmailControlDir: false, watch: false },
    })
    expect(host.plugins.map((p) => p.instance)).toEqual(['idle', 'idle:2'])
  })
})

describe('config hooks', () => {
  /** A config plugin that reads its own settings through config while answering. */
  const selfReading = (seen: string[]) => {
    let config: PluginConfig | undefined
    return definePlugin({
      name: 'self_reading',
      core: '^1.0.0',
      setup(ctx) {
        config = ctx.config
        return {
          config: async (_ctx, key) => {
            seen.push(key)
            const prefix = await config!.get('override_prefix', '')
            if (key !== 'me') return undefined
            return ok(`${prefix}${(await config!.list('me'))[0] ?? 'none'}`)
          },
        }
      },
    })
  }

  it('a config hook that reads config reads files, not itself without end', async () => {
    const seen: string[] = []
    host = await load({ plugins: 'self_reading\n', me: 'mail.example\n', override_prefix: 'hooked.\n' }, [
      selfReading(seen),
    ])
    expect(await host.config.get('me')).toBe('hooked.mail.example')
    expect(await host.config.list('override_prefix')).toEqual(['hooked.'])
    // One hook run per outside read: the reads inside the hook went to the files.
    expect(seen).toEqual(['me', 'override_prefix'])
  })

  it('reads outside a running config hook still ask the hooks, even while one waits', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const slow = definePlugin({
      name: 'slow_config',
      core: '^1.0.0',
      hooks: {
        config: async (_ctx, key) => {
          if (key === 'slow') await gate
          return ok(`from hook ${key}`)
        },
      },
    })
    host = await load({ plugins: 'slow_config\n', fast: 'from file\n' }, [slow])
    const waiting = host.config.get('slow')
    expect(await host.config.get('fast')).toBe('from hook fast')
    release()
    expect(await waiting).toBe('from hook slow')
  })
})
