/**
 * The main entry must load where vitest cannot: from CommonJS (vitest throws on `require()`) and
 * with vitest not installed (an optional peer). Each case runs a child node on the sources (tsx,
 * the `@postern/source` condition), since the built dist is not what tests run on.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const run = promisify(execFile)
const packageDir = path.resolve(import.meta.dirname, '..')

/** Runs a node script in the package dir; resolves with its stdout's last line as JSON. */
async function child(args: string[]): Promise<unknown> {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=@postern/source', '--import', 'tsx', ...args],
    {
      cwd: packageDir,
      timeout: 60_000,
    },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

// A resolve hook that makes `vitest` (and its subpaths) not found, as where it is not installed.
const withoutVitest = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  if (specifier === 'vitest' || specifier.startsWith('vitest/'))
    throw Object.assign(new Error('Cannot find package vitest'), { code: 'ERR_MODULE_NOT_FOUND' })
  return next(specifier, context)
}\`))
`)}`

const plugin = "{ name: 'refuse', core: '*', hooks: { rcpt: () => ({ code: 901 }) } }"

it('require() loads the main entry, and its harness runs a hook', async () => {
  const script = `
    const t = require('@postern/testing')
    t.loadPlugin(${plugin}).then(async (h) => {
      const r = await h.rcpt('a@example.com')
      await h.close()
      console.log(JSON.stringify({ exports: Object.keys(t), code: r.code }))
    })`
  const out = (await child(['-e', script])) as { exports: string[]; code: number }
  expect(out.code).toBe(901)
  expect(out.exports).toEqual(expect.arrayContaining(['loadPlugin', 'loadPluginForTest', 'mockPlugin']))
  expect(out.exports).not.toContain('storeContract')
})

it('import() loads the main entry without vitest; only loadPluginForTest says it needs it', async () => {
  const script = `
    const t = await import('@postern/testing')
    const h = await t.loadPlugin(${plugin})
    const r = await h.rcpt('a@example.com')
    await h.close()
    const needs = await t.loadPluginForTest(${plugin}).then(() => 'loaded', (e) => e.message)
    const sub = await import('@postern/testing/vitest').then(() => 'loaded', (e) => e.code)
    console.log(JSON.stringify({ code: r.code, needs, sub }))`
  const out = await child(['--import', withoutVitest, '--input-type=module', '-e', script])
  expect(out).toEqual({
    code: 901,
    needs: expect.stringMatching(/^loadPluginForTest needs vitest \(an optional peer dependency/),
    sub: 'ERR_MODULE_NOT_FOUND',
  })
})
