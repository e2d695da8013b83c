// The qpsmtpd names load the built, installed packages: a config/plugins file written for the
// berkeley_* plugins works unchanged.
import path from 'node:path'
import { DECLINED, DENYSOFT, MemoryStore, prefixedStore } from '@postern/core'
import { addToBlacklist } from '@postern/ipblacklist'
import { loadInstalled } from '@postern/testing'
import { expect, it } from 'vitest'

const pkgDir = path.resolve(import.meta.dirname, '..')

it('loads berkeley_ipblacklist_ignore, berkeley_ipblacklist and berkeley_tokenbucketadd by their old names', async () => {
  const base = new MemoryStore()
  await addToBlacklist(prefixedStore(base, 'ipblacklist:'), '192.0.2.1')
  await addToBlacklist(prefixedStore(base, 'ipblacklist:'), '10.1.2.3')
  // The two ipblacklist packages as this package's node_modules holds them.
  const deps = ['ipblacklist', 'ipblacklist-ignore'].map((d) =>
    path.join(pkgDir, 'node_modules', '@postern', d),
  )
  const h = await loadInstalled([pkgDir, ...deps], {
    config: {
      plugins:
        'berkeley_ipblacklist_ignore 10.0.0.0/8\nberkeley_ipblacklist denysoft\nberkeley_tokenbucketadd rate 5\n',
    },
    store: base,
  })
  try {
    expect(h.host.plugins.map((p) => [p.name, p.packageName])).toEqual([
      ['ipblacklist_ignore', '@postern/ipblacklist-ignore'],
      ['ipblacklist', '@postern/ipblacklist'],
      ['tokenbucket', '@postern/tokenbucket'],
    ])
    const listed = h.session({ remoteIp: '192.0.2.1' })
    expect((await h.first('connect', listed)).code).toBe(DENYSOFT)
    const ignored = h.session({ remoteIp: '10.1.2.3' })
    expect((await h.first('connect', ignored)).code).toBe(DECLINED)
  } finally {
    await h.close()
  }
})
