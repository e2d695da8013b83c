import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DENY } from '@postern/core'
import { afterAll, expect, it } from 'vitest'
import { loadInstalled, testAddress } from '../src/index.js'

// A package as a third party publishes it: plain JS, the plugin name and an alias in package.json.
const pkgDir = mkdtempSync(path.join(tmpdir(), 'postern-fake-plugin-'))
writeFileSync(
  path.join(pkgDir, 'package.json'),
  JSON.stringify({
    name: '@acme/postern-refuse',
    version: '1.2.3',
    type: 'module',
    main: 'index.js',
    postern: { plugin: 'refuse', aliases: ['old_refuse'] },
  }),
)
writeFileSync(
  path.join(pkgDir, 'index.js'),
  `export default { name: 'refuse', core: '^1.0.0', hooks: { rcpt: () => ({ code: ${DENY}, message: ['go away'] }) } }\n`,
)
afterAll(() => rmSync(pkgDir, { recursive: true, force: true }))

it('finds an installed package by its alias and runs it; close removes the temp dir', async () => {
  const h = await loadInstalled(pkgDir, { config: { plugins: 'old_refuse\n' } })
  try {
    expect(h.host.plugins).toMatchObject([
      {
        instance: 'old_refuse',
        name: 'refuse',
        packageName: '@acme/postern-refuse',
        packageVersion: '1.2.3',
      },
    ])
    const s = h.session()
    s.begin({ sender: 'a@example.org' })
    expect(await h.first('rcpt', s, testAddress('b@example.com'), new Map())).toMatchObject({
      code: DENY,
      message: ['go away'],
      plugin: 'old_refuse',
    })
  } finally {
    await h.close()
  }
  expect(existsSync(path.dirname(h.configDir))).toBe(false) // the temp root holding config and node_modules
})

it('fails to load a name no installed package declares, and leaves no temp dir', async () => {
  const roots = () => readdirSync(tmpdir()).filter((n) => n.startsWith('postern-installed-')).length
  const before = roots()
  await expect(loadInstalled([pkgDir], { config: { plugins: 'something_else\n' } })).rejects.toThrow(
    /plugin something_else not found/,
  )
  expect(roots()).toBe(before)
})
