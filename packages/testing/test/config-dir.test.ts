/**
 * `config: string` — a config dir the test already has (a site's, or a fixture in the repo):
 * plugins read it as it is, and closing never removes it, since the harness did not make it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DENY, definePlugin, OK, ok } from '@postern/core'
import { afterAll, describe, expect, it } from 'vitest'
import { loadPlugin, openSession, startServer, writeConfigDir } from '../src/index.js'

const blocklist = definePlugin({
  name: 'blocklist',
  core: '^1.0.0',
  async setup({ config }) {
    const users = await config.parsed('blockusers', (lines) => lines.map((l) => l.value))
    return {
      async rcpt(ctx, rcpt) {
        return (await users.get()).includes(rcpt.user) ? ctx.reject('Blocked', '5.7.1') : ok()
      },
    }
  },
})

const dir = mkdtempSync(path.join(tmpdir(), 'postern-existing-config-'))
writeConfigDir({ blockusers: ['mallory', '# a comment', 'eve'], me: 'mx.existing.example\n' }, dir)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('config from an existing directory', () => {
  it('loadPlugin reads it, writeConfig changes it, and close leaves it in place', async () => {
    const h = await loadPlugin(blocklist, { config: dir })
    try {
      expect(h.configDir).toBe(dir)
      expect((await h.rcpt('eve@example.com')).code).toBe(DENY)
      expect((await h.rcpt('bob@example.com')).code).toBe(OK)
      h.writeConfig('blockusers', ['mallory', 'eve', 'bob'])
      expect((await h.rcpt('bob@example.com')).code).toBe(DENY)
    } finally {
      await h.close()
    }
    expect(readFileSync(path.join(dir, 'blockusers'), 'utf8')).toBe('mallory\neve\nbob\n')
    writeConfigDir({ blockusers: ['mallory', 'eve'] }, dir)
  })

  it('a failed load leaves it in place too', async () => {
    const broken = definePlugin({
      name: 'broken',
      core: '^1.0.0',
      setup() {
        throw new Error('no thanks')
      },
    })
    await expect(loadPlugin(broken, { config: dir })).rejects.toThrow(/no thanks/)
    expect(existsSync(path.join(dir, 'blockusers'))).toBe(true)
  })

  it('openSession and startServer use it as the site config (its `me` names the server)', async () => {
    const s = await openSession({ plugins: [blocklist], config: dir })
    try {
      expect(await s.greeting).toBe('220 mx.existing.example ESMTP Postern ready')
      await s.command('EHLO client.example')
      await s.command('MAIL FROM:<a@example.org>')
      expect(await s.command('RCPT TO:<mallory@example.com>')).toBe('550 5.7.1 Blocked')
    } finally {
      await s.close()
    }
    const srv = await startServer({ plugins: [blocklist], config: dir })
    expect(srv.configDir).toBe(dir)
    await srv.close()
    expect(readFileSync(path.join(dir, 'me'), 'utf8')).toBe('mx.existing.example\n')
  })
})
