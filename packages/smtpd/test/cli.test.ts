import { execFile } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import {
  cliPath,
  RawClient,
  type Running,
  repoRoot,
  requirePeer,
  startPostern,
  tempDir,
} from '@postern/test-peers'
import { afterEach, describe, expect, it } from 'vitest'
import { maildirMessages } from './socket-helpers.js'

const run = promisify(execFile)
const swaks = requirePeer('swaks')

let dirs: string[] = []
let procs: Running[] = []
afterEach(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  procs = []
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs = []
})

function site(): string {
  const d = tempDir('cli')
  dirs.push(d)
  return d
}

/** A config dir with a local accept-all plugin and queue/maildir. */
function localConfig(dir: string, extra: Record<string, string> = {}): string {
  const cfg = path.join(dir, 'config')
  const files: Record<string, string> = {
    'accept.mjs':
      "export default { name: 'accept_all', core: '^1.0.0', hooks: { rcpt: () => ({ code: 900 }) } }\n",
    plugins: `./accept.mjs\nqueue/maildir ${path.join(dir, 'Maildir')}\n`,
    me: 'cli.test.example\n',
    spool_dir: `${path.join(dir, 'spool')}\n`,
    ...extra,
  }
  for (const [k, v] of Object.entries(files)) {
    const f = path.join(cfg, k)
    mkdirSync(path.dirname(f), { recursive: true })
    writeFileSync(f, v)
  }
  return cfg
}

describe('the postern CLI', () => {
  it.skipIf(!swaks)('init writes a config that runs and delivers swaks mail into a Maildir', async () => {
    const dir = site()
    const { stdout } = await run(process.execPath, [cliPath, 'init', dir], { cwd: repoRoot })
    expect(stdout).toContain('wrote')
    const p = await startPostern(['--config', path.join(dir, 'config'), '--listen', '127.0.0.1:0'])
    procs.push(p)
    const r = await run(swaks!, [
      '--server',
      `127.0.0.1:${p.port}`,
      '--from',
      'a@example.org',
      '--to',
      'user@example.com',
    ])
    expect(r.stdout).toMatch(/<- {2}250 2\.0\.0 Queued as /)
    const refused = await run(swaks!, [
      '--server',
      `127.0.0.1:${p.port}`,
      '--from',
      'a@example.org',
      '--to',
      'user@elsewhere.example',
    ]).catch((e: { stdout: string }) => e)
    expect((refused as { stdout: string }).stdout).toMatch(/<\*\* 550 5\.7\.1 /)
    expect(maildirMessages(path.join(dir, 'Maildir'))).toHaveLength(1)
  })

  it('plugins lists plugins in hook order with package, range and compatibility', async () => {
    const dir = site()
    const cfg = localConfig(dir)
    writeFileSync(
      path.join(cfg, 'plugins'),
      `./accept.mjs\nnoop_counter 3\nqueue/maildir ${path.join(dir, 'Maildir')}\n`,
    )
    const { stdout } = await run(process.execPath, [cliPath, 'plugins', '--config', cfg], { cwd: repoRoot })
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^@postern\/core 1\./)
    expect(lines[2]).toMatch(/^\.\/accept\.mjs\s+\(local\)\s+-\s+\^1\.0\.0\s+yes\s+rcpt$/)
    expect(lines[3]).toMatch(
      /^noop_counter\s+@postern\/noop-counter\s+1\.\d+\.\d+\s+\^1\.0\.0\s+yes\s+\S*noop\S*$/,
    )
    expect(lines[4]).toMatch(
      /^queue\/maildir\s+@postern\/queue-maildir\s+1\.\d+\.\d+\s+\^1\.0\.0\s+yes\s+queue$/,
    )
  })

  it('plugins reports an incompatible plugin and exits 1', async () => {
    const dir = site()
    const cfg = localConfig(dir)
    writeFileSync(
      path.join(cfg, 'future.mjs'),
      "export default { name: 'future', core: '^9.0.0', hooks: { noop: () => undefined } }\n",
    )
    writeFileSync(path.join(cfg, 'plugins'), './future.mjs\n')
    const r = await run(process.execPath, [cliPath, 'plugins', '--config', cfg], { cwd: repoRoot }).catch(
      (e: { code: number; stdout: string }) => e,
    )
    expect((r as { code: number }).code).toBe(1)
    expect((r as { stdout: string }).stdout).toMatch(
      /no: plugin \.\/future\.mjs requires @postern\/core \^9\.0\.0, but the running core is 1\./,
    )
  })

  it('--help prints the usage; a command-line mistake prints the error and the usage and exits 2', async () => {
    const help = await run(process.execPath, [cliPath, '--help'], { cwd: repoRoot })
    expect(help.stdout).toMatch(/^usage: postern \[options\]/)
    expect(help.stdout).toContain('-w, --workers N')
    type Failed = { code: number; stderr: string }
    const fail = (args: string[]) =>
      run(process.execPath, [cliPath, ...args], { cwd: repoRoot }).then(
        () => ({ code: 0, stderr: '' }),
        (e: Failed) => e,
      )
    for (const [args, message] of [
      [['--bogus'], "postern: Unknown option '--bogus'"],
      [['--workers', 'two'], 'postern: --workers wants a whole number of at least 1, not "two"'],
      [['init'], 'postern: init wants one directory: postern init DIR'],
      [['plugins', '--listen', 'x'], "postern: Unknown option '--listen'"],
    ] as const) {
      const r = await fail([...args])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
      expect(r.stderr).toContain('usage: postern [options]')
    }
  })

  it('store: -c DIR and --config=DIR are taken by postern, the rest goes to the store command', async () => {
    const dir = site()
    const cfg = localConfig(dir, { store: `sqlite:${path.join(dir, 'state.db')}\n` })
    const add = await run(
      process.execPath,
      [cliPath, 'store', 'add', '-c', cfg, '--ttl', '1h', '192.0.2.7'],
      {
        cwd: repoRoot,
      },
    )
    expect(add.stdout).toContain('added 192.0.2.7 for 1h')
    const list = await run(process.execPath, [cliPath, 'store', 'list', '--json', `--config=${cfg}`], {
      cwd: repoRoot,
    })
    expect(list.stdout).toContain('"192.0.2.7"')
  })

  it('SIGTERM: idle sessions get 421 4.3.2, the process exits 0', async () => {
    const dir = site()
    const p = await startPostern(['--config', localConfig(dir), '--listen', '127.0.0.1:0'])
    procs.push(p)
    const c = await RawClient.open(p.port)
    await c.reply()
    await c.command('EHLO idle.example')
    p.child.kill('SIGTERM')
    expect(await c.reply()).toMatch(/^421 4\.3\.2 /)
    expect(await p.exited).toBe(0)
  })

  it('SIGTERM lets a transfer in progress finish and be queued', async () => {
    const dir = site()
    const p = await startPostern(['--config', localConfig(dir), '--listen', '127.0.0.1:0'])
    procs.push(p)
    const c = await RawClient.open(p.port)
    await c.reply()
    await c.command('EHLO busy.example')
    await c.command('MAIL FROM:<a@example.org>')
    await c.command('RCPT TO:<b@example.com>')
    await c.command('DATA')
    c.write('Subject: during shutdown\r\n\r\nfirst half\r\n')
    await new Promise((r) => setTimeout(r, 100))
    p.child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 100))
    c.write('second half\r\n.\r\n')
    expect(await c.reply()).toMatch(/^250 2\.0\.0 Queued as /)
    expect(await p.exited).toBe(0)
    expect(maildirMessages(path.join(dir, 'Maildir'))[0]).toContain('second half')
  })

  it('SIGHUP reloads config for new connections without dropping open ones', async () => {
    const dir = site()
    const cfg = localConfig(dir, { smtpgreeting: 'before reload\n' })
    const p = await startPostern(['--config', cfg, '--listen', '127.0.0.1:0'])
    procs.push(p)
    const old = await RawClient.open(p.port)
    expect(await old.reply()).toBe('220 before reload ESMTP')
    writeFileSync(path.join(cfg, 'smtpgreeting'), 'after reload\n')
    p.child.kill('SIGHUP')
    let greeting: string | undefined
    for (let i = 0; i < 50 && greeting !== '220 after reload ESMTP'; i++) {
      await new Promise((r) => setTimeout(r, 100))
      const c = await RawClient.open(p.port)
      greeting = await c.reply()
      c.close()
    }
    expect(greeting).toBe('220 after reload ESMTP')
    expect(await old.command('NOOP')).toBe('250 2.0.0 OK')
  })

  it('--workers 2 serves from two processes on one port', async () => {
    const dir = site()
    const p = await startPostern(['--config', localConfig(dir), '--listen', '127.0.0.1:0', '--workers', '2'])
    procs.push(p)
    expect(p.output()).toMatch(/\(2 workers\)/)
    for (let i = 0; i < 4; i++) {
      const c = await RawClient.open(p.port)
      expect(await c.reply()).toMatch(/^220 /)
      c.close()
    }
    p.child.kill('SIGTERM')
    expect(await p.exited).toBe(0)
  })
})
