import { execFile } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { definePlugin } from '@postern/core'
import { RawClient, requirePeer, tempDir } from '@postern/test-peers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type PosternServer } from '../src/index.js'
import { configDir } from './socket-helpers.js'

const run = promisify(execFile)
const smtpSource = requirePeer('smtp-source', '/usr/sbin/smtp-source')
const seen: string[] = []
const observer = definePlugin({
  name: 'observer',
  core: '^1.0.0',
  hooks: {
    helo: (ctx) => void seen.push(`${ctx.connection.remoteIp}:${ctx.connection.remotePort}`),
    rcpt: () => ({ code: 900 }),
  },
})

let dir: string
let server: PosternServer
let port: number
const box = () => path.join(dir, 'Maildir')

beforeAll(async () => {
  dir = tempDir('limits')
  server = createServer({
    config: configDir({
      max_connections_per_ip: '3\n',
      proxy_hosts: '127.0.0.2\n',
      spool_dir: `${path.join(dir, 'spool')}\n`,
    }),
    plugins: [observer],
    pluginLines: ['observer', `queue/maildir ${box()}`],
    listen: ['127.0.0.1:0'],
  })
  port = (await server.listen())[0]!.port
})

afterAll(async () => {
  await server.close(1000)
  rmSync(dir, { recursive: true, force: true })
})

function openFrom(localAddress: string): Promise<RawClient> {
  return RawClient.open(port, localAddress)
}

/** Waits (polling, up to ~10 s) for the server's state to match. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50))
  expect(check()).toBe(true)
}

describe('connection limits and the PROXY protocol', () => {
  it('refuses connections over max_connections_per_ip with 421 4.7.0', async () => {
    const open = [await openFrom('127.0.0.1'), await openFrom('127.0.0.1'), await openFrom('127.0.0.1')]
    for (const c of open) expect(await c.reply()).toMatch(/^220 /)
    const fourth = await openFrom('127.0.0.1')
    expect(await fourth.reply()).toMatch(/^421 4\.7\.0 .*Too many connections from your host/)
    for (const c of open) c.close()
  })

  it('takes the client address from a PROXY v1 header sent by a listed proxy', async () => {
    const c = await openFrom('127.0.0.2')
    c.write('PROXY TCP4 203.0.113.7 127.0.0.1 40123 25\r\n')
    expect(await c.reply()).toMatch(/^220 /)
    await c.command('HELO proxied.example')
    expect(seen.at(-1)).toBe('203.0.113.7:40123')
    c.close()
  })

  it('takes the client address from a PROXY v2 header', async () => {
    const c = await openFrom('127.0.0.2')
    const header = Buffer.alloc(16 + 12)
    Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]).copy(header)
    header[12] = 0x21 // v2, PROXY
    header[13] = 0x11 // TCP over IPv4
    header.writeUInt16BE(12, 14)
    Buffer.from([198, 51, 100, 9, 127, 0, 0, 1]).copy(header, 16)
    header.writeUInt16BE(50000, 24)
    header.writeUInt16BE(25, 26)
    c.write(header)
    expect(await c.reply()).toMatch(/^220 /)
    await c.command('HELO v2.example')
    expect(seen.at(-1)).toBe('198.51.100.9:50000')
    c.close()
  })

  it('counts clients behind a listed proxy by the address in their PROXY header', async () => {
    const viaProxy = async (client: string, port = 40000) => {
      const c = await openFrom('127.0.0.2')
      c.write(`PROXY TCP4 ${client} 127.0.0.1 ${port} 25\r\n`)
      return c
    }
    // Five clients through one proxy: over the per-IP limit of 3 for the proxy, but each its own bucket.
    const many = await Promise.all(
      ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5'].map((ip) => viaProxy(ip)),
    )
    for (const c of many) expect(await c.reply()).toMatch(/^220 /)
    // One client's fourth connection through the proxy is over its limit.
    const same = [
      await viaProxy('198.51.100.77', 1),
      await viaProxy('198.51.100.77', 2),
      await viaProxy('198.51.100.77', 3),
    ]
    for (const c of same) expect(await c.reply()).toMatch(/^220 /)
    const fourth = await viaProxy('198.51.100.77', 4)
    expect(await fourth.reply()).toMatch(/^421 4\.7\.0 .*Too many connections from your host/)
    expect(await fourth.reply()).toBeUndefined()
    // A connection that ends frees its slot for the same client.
    const first = same.shift()!
    expect(await first.command('QUIT')).toMatch(/^221 /)
    await until(() => server.sessionCount === many.length + same.length)
    const again = await viaProxy('198.51.100.77', 5)
    expect(await again.reply()).toMatch(/^220 /)
    for (const c of [...many, ...same, again]) c.close()
    await until(() => server.sessionCount === 0)
  })

  it('drops a listed proxy that sends no valid header', async () => {
    const c = await openFrom('127.0.0.2')
    c.write('EHLO not-a-proxy-header\r\n')
    expect(await c.reply()).toBeUndefined()
  })

  it('ignores PROXY headers from hosts not listed', async () => {
    const c = await openFrom('127.0.0.3')
    expect(await c.reply()).toMatch(/^220 /)
    expect(await c.command('PROXY TCP4 203.0.113.7 127.0.0.1 1 25')).toBe('500 5.5.1 Unrecognized command')
    c.close()
  })
})

describe.skipIf(!smtpSource)('load from Postfix smtp-source', () => {
  it('delivers every message of 3 parallel sessions into the Maildir', async () => {
    // -d: several messages per connection; 3 sessions stay within max_connections_per_ip.
    await run(smtpSource!, [
      '-s',
      '3',
      '-m',
      '150',
      '-l',
      '2048',
      '-d',
      '-f',
      'load@example.org',
      '-t',
      'sink@example.com',
      `127.0.0.1:${port}`,
    ])
    expect(readdirSync(path.join(box(), 'new')).length).toBe(150)
  }, 60_000)
})
