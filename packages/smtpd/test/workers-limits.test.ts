import { spawn } from 'node:child_process'
import path from 'node:path'
import { RawClient, type Running, startPostern } from '@postern/test-peers'
import { describe, expect, it } from 'vitest'
import { workerAdmissions } from '../src/cluster-admission.js'
import { localConfig, useSites } from './cli-helpers.js'

const { site, procs } = useSites()

/** `postern --workers 2` with these config files; VRFY answers with the serving worker's pid. */
async function twoWorkers(extra: Record<string, string>): Promise<Running> {
  const dir = site()
  const cfg = localConfig(dir, {
    'pid.mjs':
      "export default { name: 'pid', core: '^1.0.0', hooks: { vrfy: () => ({ code: 900, message: 'pid ' + process.pid }) } }\n",
    plugins: `./pid.mjs\n./accept.mjs\nqueue/maildir ${path.join(dir, 'Maildir')}\n`,
    ...extra,
  })
  const p = await startPostern(['--config', cfg, '--listen', '127.0.0.1:0', '--workers', '2'])
  procs.push(p)
  return p
}

/** Opens idle connections from `from` (through a PROXY header naming `client`, if given). */
async function connect(port: number, from: string, client?: string): Promise<RawClient> {
  const c = await RawClient.open(port, from)
  if (client) c.write(`PROXY TCP4 ${client} 127.0.0.1 40000 25\r\n`)
  return c
}

/** Greeted connections, and the pids of the workers that serve them. */
async function greeted(conns: RawClient[]): Promise<Set<number>> {
  const pids = new Set<number>()
  for (const c of conns) {
    expect(await c.reply()).toMatch(/^220 /)
    const m = /^250 2\.1\.5 pid (\d+)$/.exec((await c.command('VRFY postmaster')) ?? '')
    expect(m).not.toBeNull()
    pids.add(Number(m![1]))
  }
  return pids
}

/** Refused: the one-process reply, then the connection is closed. */
async function expectRefused(c: RawClient, text: string): Promise<void> {
  expect(await c.reply()).toBe(`421 4.7.0 cli.test.example ${text}`)
  expect(await c.reply()).toBeUndefined()
}

/**
 * After a QUIT, new connections until one is greeted (the worker that served the old one tells
 * the primary it ended; a new one may reach the other worker first and be refused meanwhile).
 */
async function admittedAgain(open: () => Promise<RawClient>): Promise<RawClient> {
  for (let i = 0; i < 100; i++) {
    const c = await open()
    const reply = await c.reply()
    if (reply?.startsWith('220 ')) return c
    expect(reply).toMatch(/^421 4\.7\.0 /)
    c.close()
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('no connection was admitted after one was closed')
}

describe('connection limits across --workers', () => {
  it('max_connections_per_ip counts every worker’s connections', async () => {
    const p = await twoWorkers({ max_connections_per_ip: '3\n' })
    const held = [
      await connect(p.port, '127.0.0.1'),
      await connect(p.port, '127.0.0.1'),
      await connect(p.port, '127.0.0.1'),
    ]
    // Both workers serve some of the three: each holds fewer than 3.
    expect((await greeted(held)).size).toBe(2)
    await expectRefused(await connect(p.port, '127.0.0.1'), 'Too many connections from your host')
    // Another host is not limited by this one's connections.
    const other = await connect(p.port, '127.0.0.2')
    expect(await other.reply()).toMatch(/^220 /)
    expect(await held.shift()!.command('QUIT')).toMatch(/^221 /)
    const again = await admittedAgain(() => connect(p.port, '127.0.0.1'))
    await expectRefused(await connect(p.port, '127.0.0.1'), 'Too many connections from your host')
    for (const c of [...held, other, again]) c.close()
    p.child.kill('SIGTERM')
    expect(await p.exited).toBe(0)
  }, 30_000)

  it('max_connections counts every worker’s connections', async () => {
    const p = await twoWorkers({ max_connections: '3\n' })
    const held = [
      await connect(p.port, '127.0.0.1'),
      await connect(p.port, '127.0.0.2'),
      await connect(p.port, '127.0.0.3'),
    ]
    expect((await greeted(held)).size).toBe(2)
    await expectRefused(await connect(p.port, '127.0.0.4'), 'Too many connections, try again later')
    expect(await held.shift()!.command('QUIT')).toMatch(/^221 /)
    const again = await admittedAgain(() => connect(p.port, '127.0.0.4'))
    await expectRefused(await connect(p.port, '127.0.0.5'), 'Too many connections, try again later')
    for (const c of [...held, again]) c.close()
  }, 30_000)

  it('counts clients behind a listed proxy by their PROXY header, across workers', async () => {
    const p = await twoWorkers({ max_connections_per_ip: '3\n', proxy_hosts: '127.0.0.2\n' })
    const proxy = '127.0.0.2'
    const held = [
      await connect(p.port, proxy, '198.51.100.77'),
      await connect(p.port, proxy, '198.51.100.77'),
      await connect(p.port, proxy, '198.51.100.77'),
    ]
    expect((await greeted(held)).size).toBe(2)
    await expectRefused(await connect(p.port, proxy, '198.51.100.77'), 'Too many connections from your host')
    // The proxy's own address holds no slots: a fourth and fifth client through it are greeted.
    const others = [await connect(p.port, proxy, '203.0.113.4'), await connect(p.port, proxy, '203.0.113.5')]
    await greeted(others)
    expect(await held.shift()!.command('QUIT')).toMatch(/^221 /)
    const again = await admittedAgain(() => connect(p.port, proxy, '198.51.100.77'))
    for (const c of [...held, ...others, again]) c.close()
  }, 30_000)
})

describe('a worker whose primary does not answer', () => {
  it('admits by its own counts and says so once', async () => {
    // A real IPC channel to a process that reads the requests and never answers.
    const silent = spawn(process.execPath, ['-e', "process.on('message', () => {})"], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    try {
      const warnings: string[] = []
      const admissions = workerAdmissions(silent, (m) => warnings.push(m))
      const limits = { maxConnections: 10, maxConnectionsPerIp: 1 }
      expect(await admissions.open('192.0.2.1', limits)).toBe('admit')
      expect(await admissions.open('192.0.2.2', limits)).toBe('admit')
      // This worker's own per-IP limit still holds, without asking.
      expect(await admissions.open('192.0.2.1', limits)).toBe('over-per-ip')
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/primary did not answer/)
      admissions.close('192.0.2.1')
      expect(await admissions.open('192.0.2.1', limits)).toBe('admit')
    } finally {
      silent.kill()
    }
  }, 15_000)
})
