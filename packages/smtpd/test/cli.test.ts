import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import {
  cliPath,
  freePort,
  RawClient,
  repoRoot,
  requirePeer,
  startPostern,
  startProcess,
  tempDir,
  waitForTcp,
} from '@postern/test-peers'
import { describe, expect, it } from 'vitest'
import { localConfig, postern, run, useSites } from './cli-helpers.js'
import { maildirMessages } from './socket-helpers.js'

const swaks = requirePeer('swaks')
const { site, procs } = useSites()

/** Polls (up to ~5 s) until `check` holds; returns whether it did. */
async function until(check: () => Promise<boolean> | boolean): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return check()
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

  it('plugins lists the hooks of the compatible plugins when another one is incompatible', async () => {
    const dir = site()
    const cfg = localConfig(dir)
    writeFileSync(
      path.join(cfg, 'future.mjs'),
      "export default { name: 'future', core: '^9.0.0', hooks: { noop: () => undefined } }\n",
    )
    writeFileSync(path.join(cfg, 'plugins'), './accept.mjs\n./future.mjs\nnoop_counter:2 3\n')
    const r = await postern(['plugins', '--config', cfg])
    expect(r.code).toBe(1)
    const lines = r.stdout.trim().split('\n')
    expect(lines[2]).toMatch(/^\.\/accept\.mjs\s+\(local\)\s+-\s+\^1\.0\.0\s+yes\s+rcpt$/)
    expect(lines[3]).toMatch(
      /^\.\/future\.mjs\s+\(local\)\s+-\s+\^9\.0\.0\s+no: plugin \.\/future\.mjs requires/,
    )
    expect(lines[3]).not.toMatch(/noop$/)
    expect(lines[4]).toMatch(
      /^noop_counter:2\s+@postern\/noop-counter\s+1\.\d+\.\d+\s+\^1\.0\.0\s+yes\s+\S*noop\S*$/,
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

  it('SIGHUP reloads plugins: new connections get the new list, an open one keeps the old', async () => {
    const dir = site()
    const cfg = localConfig(dir)
    const p = await startPostern(['--config', cfg, '--listen', '127.0.0.1:0'])
    procs.push(p)
    const old = await RawClient.open(p.port)
    await old.reply()
    expect(await old.command('EHLO old.example')).toMatch(/^250/)
    // A plugin that was not loaded at start refuses this sender's recipients after the reload.
    writeFileSync(path.join(cfg, 'badmailfrom'), 'spam@bad.example  Go away\n')
    writeFileSync(
      path.join(cfg, 'plugins'),
      `check_badmailfrom\n./accept.mjs\nqueue/maildir ${path.join(dir, 'Maildir')}\n`,
    )
    const rcptReply = async (c: RawClient) => {
      await c.command('MAIL FROM:<spam@bad.example>')
      const reply = await c.command('RCPT TO:<b@example.com>')
      await c.command('RSET')
      return reply
    }
    p.child.kill('SIGHUP')
    let fresh: string | undefined
    expect(
      await until(async () => {
        const c = await RawClient.open(p.port)
        await c.reply()
        await c.command('EHLO new.example')
        fresh = await rcptReply(c)
        c.close()
        return fresh?.startsWith('550') ?? false
      }),
    ).toBe(true)
    expect(fresh).toBe('550 5.7.1 Go away')
    // The connection opened before the reload still runs the plugins it started with.
    expect(await rcptReply(old)).toBe('250 2.1.5 <b@example.com>, recipient ok')
    expect(await old.command('NOOP')).toBe('250 2.0.0 OK')
    old.close()
  })

  it('--workers 2 serves from two processes on one port', async () => {
    const dir = site()
    const cfg = localConfig(dir, {
      // VRFY answers with the pid of the worker that serves the connection.
      'pid.mjs':
        "export default { name: 'pid', core: '^1.0.0', hooks: { vrfy: () => ({ code: 900, message: 'pid ' + process.pid }) } }\n",
      plugins: `./pid.mjs\n./accept.mjs\nqueue/maildir ${path.join(dir, 'Maildir')}\n`,
    })
    const p = await startPostern(['--config', cfg, '--listen', '127.0.0.1:0', '--workers', '2'])
    procs.push(p)
    expect(p.output()).toMatch(/\(2 workers\)/)
    const pids = new Set<number>()
    const open: RawClient[] = []
    for (let i = 0; i < 10 && pids.size < 2; i++) {
      const c = await RawClient.open(p.port)
      open.push(c)
      expect(await c.reply()).toMatch(/^220 /)
      const m = /^250 2\.1\.5 pid (\d+)$/.exec((await c.command('VRFY postmaster')) ?? '')
      expect(m).not.toBeNull()
      pids.add(Number(m![1]))
    }
    expect(pids.size).toBe(2)
    expect(pids.has(p.child.pid!)).toBe(false)
    for (const c of open) c.close()
    p.child.kill('SIGTERM')
    expect(await p.exited).toBe(0)
  })

  it('resolves plugins from the node_modules above the config dir, run from elsewhere', async () => {
    const dir = site()
    // dir/node_modules/postern-plugin-fake-vrfy, dir/site/config naming it as fake_vrfy.
    const pkg = path.join(dir, 'node_modules', 'postern-plugin-fake-vrfy')
    mkdirSync(pkg, { recursive: true })
    writeFileSync(
      path.join(pkg, 'package.json'),
      JSON.stringify({
        name: 'postern-plugin-fake-vrfy',
        version: '3.2.1',
        type: 'module',
        main: 'index.js',
        peerDependencies: { '@postern/core': '^1.0.0' },
      }),
    )
    writeFileSync(
      path.join(pkg, 'index.js'),
      "export default { name: 'fake_vrfy', core: '^1.0.0', hooks: { vrfy: () => ({ code: 900, message: 'found above the config dir' }) } }\n",
    )
    const cfg = path.join(dir, 'site', 'config')
    mkdirSync(cfg, { recursive: true })
    writeFileSync(path.join(cfg, 'plugins'), 'fake_vrfy\n')
    writeFileSync(path.join(cfg, 'spool_dir'), `${path.join(dir, 'spool')}\n`)
    const elsewhere = tempDir('cli-cwd')
    const port = await freePort()
    const server = await startProcess({
      name: 'postern-elsewhere',
      command: process.execPath,
      args: [cliPath, '--config', cfg, '--listen', `127.0.0.1:${port}`],
      dir: elsewhere,
      ready: () => waitForTcp(port),
    })
    try {
      const c = await RawClient.open(port)
      expect(await c.reply()).toMatch(/^220 /)
      expect(await c.command('VRFY someone')).toBe('250 2.1.5 found above the config dir')
      c.close()
      const listed = await run(process.execPath, [cliPath, 'plugins', '--config', cfg], { cwd: elsewhere })
      expect(listed.stdout).toMatch(
        /^fake_vrfy\s+postern-plugin-fake-vrfy\s+3\.2\.1\s+\^1\.0\.0\s+yes\s+vrfy$/m,
      )
    } finally {
      await server.stop()
      rmSync(elsewhere, { recursive: true, force: true })
    }
  })
})
