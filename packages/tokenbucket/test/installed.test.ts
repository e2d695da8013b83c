// The qpsmtpd names load the built, installed packages: a config/plugins file written for the
// berkeley_* plugins works unchanged.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createLogger, createPluginHost, DECLINED, DENYSOFT, MemoryStore, prefixedStore } from '@postern/core'
import { addToBlacklist } from '@postern/ipblacklist'
import { testSession } from '@postern/testing'
import { afterEach, expect, it } from 'vitest'

const pkgDir = path.resolve(import.meta.dirname, '..')
let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

it('loads berkeley_ipblacklist_ignore, berkeley_ipblacklist and berkeley_tokenbucketadd by their old names', async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'postern-berkeley-'))
  const scope = path.join(dir, 'node_modules', '@postern')
  mkdirSync(scope, { recursive: true })
  symlinkSync(pkgDir, path.join(scope, 'tokenbucket'))
  for (const dep of ['ipblacklist', 'ipblacklist-ignore'])
    symlinkSync(path.join(pkgDir, 'node_modules', '@postern', dep), path.join(scope, dep))
  writeFileSync(
    path.join(dir, 'plugins'),
    'berkeley_ipblacklist_ignore 10.0.0.0/8\nberkeley_ipblacklist denysoft\nberkeley_tokenbucketadd rate 5\n',
  )
  const base = new MemoryStore()
  await addToBlacklist(prefixedStore(base, 'ipblacklist:'), '192.0.2.1')
  await addToBlacklist(prefixedStore(base, 'ipblacklist:'), '10.1.2.3')
  const host = await createPluginHost({
    configDir: dir,
    searchDirs: [dir],
    store: base,
    log: createLogger({ level: 0, sink: () => {} }),
  })
  try {
    expect(host.plugins.map((p) => [p.name, p.packageName])).toEqual([
      ['ipblacklist_ignore', '@postern/ipblacklist-ignore'],
      ['ipblacklist', '@postern/ipblacklist'],
      ['tokenbucket', '@postern/tokenbucket'],
    ])
    const listed = testSession({ remoteIp: '192.0.2.1' })
    expect((await host.dispatcher.runFirst('connect', listed)).code).toBe(DENYSOFT)
    const ignored = testSession({ remoteIp: '10.1.2.3' })
    expect((await host.dispatcher.runFirst('connect', ignored)).code).toBe(DECLINED)
  } finally {
    await host.close()
  }
})
