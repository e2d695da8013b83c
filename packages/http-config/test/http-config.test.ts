import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { DECLINED, DENYSOFT, definePlugin, OK } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness } from '@postern/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { configLines } from '../src/index.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

let server: Server
let base: string
let handler: Handler
let requests: string[]
let closed: number

beforeEach(async () => {
  requests = []
  closed = 0
  handler = (req, res) => {
    const key = decodeURIComponent(req.url!.replace(/^\/cfg\//, ''))
    if (key === 'badhelo') return void res.end('# spammers\nyahoo.com\n\n  aol.com  \n')
    if (key === 'empty') return void res.end('')
    res.statusCode = 404
    res.end('not here')
  }
  server = createServer((req, res) => {
    requests.push(req.url!)
    res.on('close', () => {
      if (!res.writableFinished) closed++
    })
    handler(req, res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfg/`
})

afterEach(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

const ask = (h: PluginHarness, key: string) => h.first('config', undefined, key)

/** The server sees the aborted request close a little later; wait for it (bounded). */
async function closedRequests(n: number): Promise<number> {
  for (let i = 0; i < 200 && closed < n; i++) await sleep(10)
  return closed
}

describe('http_config', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('splits a body as a config file', () => {
    expect(configLines('# c\r\na\r\n\r\n b \n#x\n')).toEqual(['a', 'b'])
  })

  it('answers a key with the lines the server sends', async () => {
    const h = await loadPluginForTest(plugin, { args: base })
    expect(await ask(h, 'badhelo')).toMatchObject({
      code: OK,
      message: ['yahoo.com', 'aol.com'],
      plugin: 'http_config',
    })
    expect(requests).toEqual(['/cfg/badhelo'])
  })

  it('an empty body is an answer with no values', async () => {
    const h = await loadPluginForTest(plugin, { args: base })
    expect(await ask(h, 'empty')).toMatchObject({ code: OK, message: [] })
  })

  it('caches answers, including "missing", for `cache` seconds', async () => {
    const h = await loadPluginForTest(plugin, { args: `${base} cache 300` })
    await ask(h, 'badhelo')
    await ask(h, 'badhelo')
    expect((await ask(h, 'nothing')).code).toBe(DECLINED)
    expect((await ask(h, 'nothing')).code).toBe(DECLINED)
    expect(requests).toEqual(['/cfg/badhelo', '/cfg/nothing'])
  })

  it('asks again every time with cache 0', async () => {
    const h = await loadPluginForTest(plugin, { args: `${base} cache 0` })
    await ask(h, 'badhelo')
    await ask(h, 'badhelo')
    expect(requests).toHaveLength(2)
  })

  it('shares one request between concurrent callers', async () => {
    handler = (_req, res) => void setTimeout(() => res.end('v\n'), 20)
    const h = await loadPluginForTest(plugin, { args: base })
    const [a, b] = await Promise.all([ask(h, 'k'), ask(h, 'k')])
    expect(a.message).toEqual(['v'])
    expect(b.message).toEqual(['v'])
    expect(requests).toHaveLength(1)
  })

  it('tries the URLs in order: a 404 passes to the next', async () => {
    const h = await loadPluginForTest(plugin, { args: `${base.replace('/cfg/', '/other/')} ${base}` })
    expect((await ask(h, 'badhelo')).message).toEqual(['yahoo.com', 'aol.com'])
    expect(requests).toEqual(['/other/badhelo', '/cfg/badhelo'])
  })

  it('falls through to the config file when the server has no such key', async () => {
    const h = await loadPluginForTest(plugin, {
      args: base,
      config: { rcpthosts: 'example.org\n', badhelo: 'local.file\n' },
    })
    expect(await h.host.config.list('rcpthosts')).toEqual(['example.org'])
    expect(await h.host.config.list('badhelo')).toEqual(['yahoo.com', 'aol.com'])
  })

  it('asks only for the listed keys', async () => {
    const h = await loadPluginForTest(plugin, { args: `${base} keys rcpthosts,badhelo` })
    expect((await ask(h, 'badhelo')).code).toBe(OK)
    expect((await ask(h, 'plugin_timeout')).code).toBe(DECLINED)
    expect(requests).toEqual(['/cfg/badhelo'])
  })

  it('gives up after `timeout` and aborts the request', async () => {
    handler = () => {} // never answers
    const h = await loadPluginForTest(plugin, { args: `${base} timeout 0.05` })
    expect((await ask(h, 'slow')).code).toBe(DECLINED)
    expect(await closedRequests(1)).toBe(1)
    expect(h.logs.some((l) => /slow: .*aborted or timed out/.test(l.message))).toBe(true)
  })

  it("honours the hook's signal: the request is aborted at the hook deadline", async () => {
    handler = () => {}
    const h = await loadPluginForTest(plugin, { args: `timeout 60 hook_timeout 0.05 ${base}` })
    const r = await ask(h, 'slow')
    expect(r).toMatchObject({ code: DENYSOFT, failure: 'timeout' })
    expect(await closedRequests(1)).toBe(1)
  })

  it('serves an expired answer while the server fails', async () => {
    const h = await loadPluginForTest(plugin, { args: `${base} cache 0.01` })
    expect((await ask(h, 'badhelo')).message).toEqual(['yahoo.com', 'aol.com'])
    handler = (_req, res) => {
      res.statusCode = 500
      res.end()
    }
    await sleep(20)
    expect((await ask(h, 'badhelo')).message).toEqual(['yahoo.com', 'aol.com'])
    expect(requests).toHaveLength(2)
    expect(h.logs.some((l) => /HTTP 500/.test(l.message))).toBe(true)
  })

  it('refuses a body larger than max_size', async () => {
    handler = (_req, res) => void res.end('x'.repeat(5000))
    const h = await loadPluginForTest(plugin, { args: `${base} max_size 1000` })
    expect((await ask(h, 'big')).code).toBe(DECLINED)
    expect(h.logs.some((l) => /larger than 1000 bytes/.test(l.message))).toBe(true)
  })

  it('keeps hostile keys inside the base path', async () => {
    const h = await loadPluginForTest(plugin, { args: base })
    await ask(h, '../etc/passwd?x=1#y')
    await ask(h, '__proto__')
    expect(requests).toEqual(['/cfg/..%2Fetc%2Fpasswd%3Fx%3D1%23y', '/cfg/__proto__'])
    expect((await ask(h, '..')).code).toBe(DECLINED)
  })

  it('answers the config reads of plugins loaded after it', async () => {
    let seen: readonly string[] = []
    const reader = definePlugin({
      name: 'reader',
      core: '^1.0.0',
      async setup({ config }) {
        seen = await config.list('badhelo')
        return {}
      },
    })
    await loadPluginForTest(reader, { before: [{ plugin, args: base }] })
    expect(seen).toEqual(['yahoo.com', 'aol.com'])
  })

  it('refuses bad arguments at load', async () => {
    await expect(loadPlugin(plugin, { args: '' })).rejects.toThrow(/at least one/)
    await expect(loadPlugin(plugin, { args: `${base} timeout soon` })).rejects.toThrow(/timeout must be/)
    await expect(loadPlugin(plugin, { args: `${base} bogus 1` })).rejects.toThrow(/unknown argument/)
  })
})
