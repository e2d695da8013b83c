import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  Address,
  CORE_VERSION,
  Connection,
  createLogger,
  createPluginHost,
  DECLINED,
  DENY_DISCONNECT,
  type PluginHost,
  PluginLoadError,
  type SessionHost,
  Transaction,
} from '@postern/core'
import { afterEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const repoRoot = path.resolve(import.meta.dirname, '../../..')
let dir: string | undefined
let host: PluginHost | undefined
afterEach(async () => {
  await host?.close()
  host = undefined
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function configDir(plugins: string): string {
  dir = mkdtempSync(path.join(tmpdir(), 'postern-noop-'))
  writeFileSync(path.join(dir, 'plugins'), plugins)
  return dir
}

function session(): SessionHost {
  const connection = new Connection({
    remoteIp: '192.0.2.9',
    remotePort: 1,
    localIp: '127.0.0.1',
    localPort: 25,
  })
  return {
    connection,
    transaction: new Transaction(connection.id),
    signal: new AbortController().signal,
    respond: async () => {},
    delayReplies: () => {},
  }
}

const quiet = () => createLogger({ level: 0, sink: () => {} })

describe('noop_counter', () => {
  it('declares the same core range at run time as in its peerDependencies', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('is found by name through the installed package (the built dist) and disconnects after N NOOPs', async () => {
    host = await createPluginHost({
      configDir: configDir('noop_counter 2\n'),
      searchDirs: [repoRoot],
      log: quiet(),
    })
    expect(host.plugins[0]).toMatchObject({
      name: 'noop_counter',
      packageName: '@postern/noop-counter',
      core: '^1.0.0',
    })
    const s = session()
    const d = host.dispatcher
    expect((await d.runFirst('noop', s)).code).toBe(DECLINED)
    expect((await d.runFirst('noop', s)).code).toBe(DECLINED)
    const third = await d.runFirst('noop', s)
    expect(third).toMatchObject({ code: DENY_DISCONNECT, enhanced: '5.5.1', plugin: 'noop_counter' })
  })

  it('resets the count on other commands', async () => {
    host = await createPluginHost({
      configDir: configDir('noop_counter max 1\n'),
      definitions: [plugin],
      log: quiet(),
    })
    const s = session()
    const d = host.dispatcher
    await d.runFirst('noop', s)
    await d.runFirst('mail', s, Address.parse('<a@example.com>'), new Map())
    expect((await d.runFirst('noop', s)).code).toBe(DECLINED)
    expect((await d.runFirst('noop', s)).code).toBe(DENY_DISCONNECT)
  })

  it('is refused by a core outside its range, naming plugin, range and core version', async () => {
    const load = createPluginHost({
      configDir: configDir('noop_counter\n'),
      searchDirs: [repoRoot],
      coreVersion: '2.0.0',
      log: quiet(),
    })
    await expect(load).rejects.toBeInstanceOf(PluginLoadError)
    await expect(load).rejects.toMatchObject({ plugin: 'noop_counter', where: { line: 1 } })
    await expect(load).rejects.toThrow(
      `plugin noop_counter (@postern/noop-counter ${pkg.version}) requires @postern/core ^1.0.0, but the running core is 2.0.0`,
    )
    expect(CORE_VERSION).toMatch(/^1\./)
  })
})
