import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createLogger, createPluginHost, DENYSOFT } from '@postern/core'
import { testAddress, testSession } from '@postern/testing'
import { afterEach, expect, it } from 'vitest'

const packageDir = path.resolve(import.meta.dirname, '..')
let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

// A qpsmtpd 1.0 config names the plugin `badmailfrom`: core finds it through the
// `postern.aliases` field of the installed package (its built dist).
it('is found as badmailfrom through the installed package and runs from its build', async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'postern-badmailfrom-'))
  mkdirSync(path.join(dir, 'node_modules', '@postern'), { recursive: true })
  symlinkSync(packageDir, path.join(dir, 'node_modules', '@postern', 'check-badmailfrom'), 'dir')
  const config = path.join(dir, 'config')
  mkdirSync(config)
  writeFileSync(path.join(config, 'plugins'), 'badmailfrom reject_type temp\n')
  writeFileSync(path.join(config, 'badmailfrom'), '@spam.example\n')
  const host = await createPluginHost({
    configDir: config,
    searchDirs: [dir],
    log: createLogger({ level: 0, sink: () => {} }),
    config: { qmailControlDir: false },
  })
  try {
    expect(host.plugins[0]).toMatchObject({
      name: 'check_badmailfrom',
      packageName: '@postern/check-badmailfrom',
    })
    const s = testSession()
    s.begin()
    await host.dispatcher.runFirst('mail', s, testAddress('x@spam.example'), new Map())
    const r = await host.dispatcher.runFirst('rcpt', s, testAddress('a@example.com'), new Map())
    expect(r).toMatchObject({ code: DENYSOFT, enhanced: '4.7.1' })
  } finally {
    await host.close()
  }
})
