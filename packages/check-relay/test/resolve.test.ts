import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createLogger, createPluginHost } from '@postern/core'
import { testSession } from '@postern/testing'
import { afterEach, expect, it } from 'vitest'

const packageDir = path.resolve(import.meta.dirname, '..')
let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

// qpsmtpd 1.0 calls it `relay`: core finds it through the package's `postern.aliases` field.
it('is found as relay through the installed package and runs from its build', async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'postern-relay-'))
  mkdirSync(path.join(dir, 'node_modules', '@postern'), { recursive: true })
  symlinkSync(packageDir, path.join(dir, 'node_modules', '@postern', 'check-relay'), 'dir')
  const config = path.join(dir, 'config')
  mkdirSync(config)
  writeFileSync(path.join(config, 'plugins'), 'relay\n')
  writeFileSync(path.join(config, 'relayclients'), '192.0.2.\n')
  const host = await createPluginHost({
    configDir: config,
    searchDirs: [dir],
    log: createLogger({ level: 0, sink: () => {} }),
    config: { qmailControlDir: false },
  })
  try {
    expect(host.plugins[0]).toMatchObject({ name: 'check_relay', packageName: '@postern/check-relay' })
    const s = testSession({ remoteIp: '192.0.2.55' })
    await host.dispatcher.runFirst('connect', s)
    expect(s.connection.relayClient).toBe(true)
  } finally {
    await host.close()
  }
})
