/**
 * The later qpsmtpd names a site's `config/plugins` may use, resolved by core's resolver to the
 * package that declares them in its `postern.aliases` field. Every aliased package is installed
 * side by side, as on a site, so each alias has to pick its own package out of them all; each
 * loads from its built dist.
 */
import path from 'node:path'
import { loadInstalled } from '@postern/testing'
import { describe, expect, it } from 'vitest'

const packagesDir = path.resolve(import.meta.dirname, '../..')

const aliases = [
  { alias: 'helo', plugin: 'check_spamhelo', dir: 'check-spamhelo', hook: 'helo' },
  { alias: 'earlytalker', plugin: 'check_earlytalker', dir: 'check-earlytalker', hook: 'connect' },
  { alias: 'headers', plugin: 'check_basicheaders', dir: 'check-basicheaders', hook: 'data_post' },
  { alias: 'loop', plugin: 'check_loop', dir: 'check-loop', hook: 'data_post' },
  { alias: 'badrcptto', plugin: 'check_badrcptto', dir: 'check-badrcptto', hook: 'rcpt' },
  { alias: 'badmailfromto', plugin: 'check_badmailfromto', dir: 'check-badmailfromto', hook: 'rcpt' },
  { alias: 'badmailfrom', plugin: 'check_badmailfrom', dir: 'check-badmailfrom', hook: 'mail' },
  { alias: 'relay', plugin: 'check_relay', dir: 'check-relay', hook: 'connect' },
] as const

// Their own dependency (address-lists) resolves from each package's real directory.
const installed = aliases.map((a) => path.join(packagesDir, a.dir))

describe('qpsmtpd alias names resolve to their packages', () => {
  it.each(aliases)('$alias → $plugin', async ({ alias, plugin, dir, hook }) => {
    const h = await loadInstalled(installed, { config: { plugins: `${alias}\n` } })
    try {
      expect(h.host.plugins).toHaveLength(1)
      const [loaded] = h.host.plugins
      expect(loaded).toMatchObject({ instance: alias, name: plugin, packageName: `@postern/${dir}` })
      expect(loaded!.hooks).toContain(hook)
    } finally {
      await h.close()
    }
  })
})
