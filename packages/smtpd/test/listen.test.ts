import { writeFileSync } from 'node:fs'
import { createServer as netServer } from 'node:net'
import path from 'node:path'
import { freePort, RawClient, startPostern } from '@postern/test-peers'
import { describe, expect, it } from 'vitest'
import { listeningPorts, localConfig, postern, useSites } from './cli-helpers.js'

const { site, procs } = useSites()

/** Each port answers with a banner. */
async function answers(ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    const c = await RawClient.open(port)
    expect(await c.reply()).toMatch(/^220 cli\.test\.example /)
    c.close()
  }
}

/** Whether 127.0.0.1:port can be bound now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

describe('where postern listens', () => {
  it('--listen given twice: both addresses are printed and both answer', async () => {
    const p = await startPostern([
      '--config',
      localConfig(site()),
      '--listen',
      '127.0.0.1:0',
      '--listen',
      '127.0.0.1:0',
    ])
    procs.push(p)
    const ports = listeningPorts(p.output())
    expect(ports).toHaveLength(2)
    expect(ports[0]).not.toBe(ports[1])
    expect(p.output()).toMatch(/listening on 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+\n/)
    await answers(ports)
  })

  it('without --listen, the addresses in config/listen; --listen overrides them', async () => {
    const [a, b] = [await freePort(), await freePort()]
    const cfg = localConfig(site(), { listen: `# one address a line\n127.0.0.1:${a}\n127.0.0.1:${b}\n` })
    const p = await startPostern(['--config', cfg])
    procs.push(p)
    expect(listeningPorts(p.output())).toEqual([a, b])
    await answers([a, b])
    p.child.kill('SIGTERM')
    expect(await p.exited).toBe(0)
    const q = await startPostern(['--config', cfg, '--listen', '127.0.0.1:0'])
    procs.push(q)
    const ports = listeningPorts(q.output())
    expect(ports).toHaveLength(1)
    expect([a, b]).not.toContain(ports[0])
  })

  it('with neither, 127.0.0.1:2525', async () => {
    const cfg = localConfig(site())
    if (await isFree(2525)) {
      const p = await startPostern(['--config', cfg])
      procs.push(p)
      expect(p.output()).toMatch(/listening on 127\.0\.0\.1:2525\n/)
      await answers([2525])
    } else {
      // Something else holds the port: the error names the default address.
      const r = await postern(['--config', cfg])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('127.0.0.1:2525')
    }
  })

  it('a bad address in config/listen is an error naming it', async () => {
    const cfg = localConfig(site())
    writeFileSync(path.join(cfg, 'listen'), 'localhost\n')
    const r = await postern(['--config', cfg])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('bad listen address "localhost" (want host:port)')
  })
})
