// qpsmtpd's old name loads the built, installed package.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createLogger, createPluginHost, DENYSOFT } from '@postern/core'
import { testAddress, testSession } from '@postern/testing'
import { afterEach, expect, it } from 'vitest'

const pkgDir = path.resolve(import.meta.dirname, '..')
let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

it('loads as denysoft_greylist from an installed package and greylists', async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'postern-greylist-'))
  mkdirSync(path.join(dir, 'node_modules', '@postern'), { recursive: true })
  symlinkSync(pkgDir, path.join(dir, 'node_modules', '@postern', 'greylisting'))
  writeFileSync(path.join(dir, 'plugins'), 'denysoft_greylist black_timeout 300\n')
  const host = await createPluginHost({
    configDir: dir,
    searchDirs: [dir],
    log: createLogger({ level: 0, sink: () => {} }),
  })
  try {
    expect(host.plugins[0]).toMatchObject({ name: 'greylisting', packageName: '@postern/greylisting' })
    const s = testSession({ remoteIp: '192.0.2.1' })
    s.begin({ sender: 'a@example.org' })
    const r = await host.dispatcher.runFirst('rcpt', s, testAddress('b@example.com'), new Map())
    expect(r).toMatchObject({ code: DENYSOFT, enhanced: '4.2.0' })
    expect(r.message.join(' ')).toContain('Please try again in 5m.')
  } finally {
    await host.close()
  }
})
