import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { cliPath, repoRoot, requirePeer } from '@postern/test-peers'
import { describe, expect, it } from 'vitest'
import { type Failed, localConfig, postern, useSites } from './cli-helpers.js'

const sh = promisify(execFile)
const script = requirePeer('script', '/usr/bin/script')
const { site } = useSites()

/** Runs a shell command line from the repo root; resolves with its output whatever the exit code. */
function shell(command: string): Promise<Failed> {
  return sh('/bin/sh', ['-c', command], { cwd: repoRoot }).then(
    (r) => ({ code: 0, ...r }),
    (e: Failed) => e,
  )
}

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`

/** A config dir whose config/store is a SQLite file in the site. */
function sqliteSite(): string {
  const dir = site()
  return localConfig(dir, { store: `sqlite:${path.join(dir, 'state.db')}\n` })
}

describe('postern store', () => {
  it('refuses to work on the default memory store, which would keep nothing (exit 2)', async () => {
    const cfg = localConfig(site())
    for (const args of [['add', '--ttl', '1h', '192.0.2.7'], ['list'], ['delete', '192.0.2.7']]) {
      const r = await postern(['store', ...args, '-c', cfg])
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain(
        `postern store: no persistent store (${path.join(cfg, 'store')} is missing or says memory)`,
      )
      expect(r.stderr).toContain('Set config/store to sqlite:PATH or redis://')
    }
    const memory = localConfig(site(), { store: 'memory\n' })
    expect((await postern(['store', 'add', '192.0.2.7', '-c', memory])).code).toBe(2)
    // The usage needs no store.
    const help = await postern(['store', '--help', '-c', cfg])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('usage: postern store <command>')
  })

  it('blacklists the top offenders of a real sort | uniq -c | sort -n | tail pipeline', async () => {
    const cfg = sqliteSite()
    const log = ['192.0.2.1', '192.0.2.2', '192.0.2.1', '198.51.100.9', '192.0.2.1', '192.0.2.2']
    const add = await shell(
      `printf '${log.join('\\n')}\\n' | sort | uniq -c | sort -n | tail -2 | ` +
        `${quote(process.execPath)} ${quote(cliPath)} store add --ttl 1h -c ${quote(cfg)}`,
    )
    expect(add.stderr).toBe('')
    expect(add.code).toBe(0)
    expect(add.stdout).toBe(
      'added 192.0.2.2 for 1h: postern store add (2 events)\nadded 192.0.2.1 for 1h: postern store add (3 events)\n',
    )
    // A second process reads what the first one stored.
    const list = await postern(['store', 'list', '-c', cfg])
    expect(list.code).toBe(0)
    const rows = list.stdout.trim().split('\n')
    expect(rows[0]).toMatch(/^IP\s+EXPIRES\s+LEFT\s+ADDED\s+REASON$/)
    expect(rows.slice(1).map((r) => r.split(/\s+/)[0])).toEqual(['192.0.2.1', '192.0.2.2'])
    expect(rows[1]).toMatch(/\s(59m\d+s|1h)\s.*postern store add \(3 events\)$/)
    // The count goes to stderr, set off from the table by a blank line.
    expect(list.stderr).toBe('\n2 entries\n')
  })

  it.skipIf(!script)(
    'add with no IPs and a terminal on stdin asks for input instead of waiting',
    async () => {
      const cfg = sqliteSite()
      // script(1) runs the command on a pseudo-terminal; -e passes its exit code on.
      const r = await sh(
        script!,
        ['-qec', `${quote(process.execPath)} ${quote(cliPath)} store add -c ${quote(cfg)}`, '/dev/null'],
        {
          cwd: repoRoot,
        },
      ).then(
        (x) => ({ code: 0, ...x }),
        (e: Failed) => e,
      )
      expect(r.code).toBe(2)
      expect(r.stdout).toContain('postern store add: give IP addresses, or pipe them in one per line')
    },
  )
})
