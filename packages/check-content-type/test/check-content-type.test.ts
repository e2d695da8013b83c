import { DECLINED, DENY, DENYSOFT, OK } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

const TYPES = [
  '# content_types: pattern CODE [message]',
  'text/plain OK',
  'text/html OK',
  'image/* OK',
  '/^application\\/x-ms(download|dos-program)$/ DENY No Windows executables, please',
  'application/zip DENYSOFT',
]

function mime(...parts: string[]): string {
  let m =
    'From: a@example.com\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BB"\n\n'
  for (const p of parts) m += `--BB\n${p}\n`
  return `${m}--BB--\n`
}
const part = (type: string, body = 'x') => `Content-Type: ${type}\n\n${body}`

function load(args = '', types: string[] | string = TYPES) {
  return loadPluginForTest(plugin, { args, config: { content_types: types } })
}

function check(h: PluginHarness, text: string) {
  const s = h.session()
  s.begin({ sender: 'a@example.com', recipients: ['b@example.org'], message: text })
  return h.first('data_post', s)
}

async function run(text: string, args = '', types: string[] | string = TYPES) {
  return check(await load(args, types), text)
}

describe('check_content_type', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('answers OK when every part matched an OK rule (multipart containers are neutral)', async () => {
    expect(await run(mime(part('text/plain'), part('image/png')))).toMatchObject({
      code: OK,
      plugin: 'check_content_type',
    })
  })

  it('a plain message without MIME is text/plain', async () => {
    expect((await run('Subject: x\n\nhello\n')).code).toBe(OK)
  })

  it('declines when some part matched no rule', async () => {
    expect((await run(mime(part('text/plain'), part('video/mp4')))).code).toBe(DECLINED)
  })

  it('refuses a message with one refused part, with the rule message and 5.6.1', async () => {
    const r = await run(mime(part('text/plain'), part('application/x-msdownload; name="a.exe"')))
    expect(r).toMatchObject({ code: DENY, enhanced: '5.6.1', message: ['No Windows executables, please'] })
  })

  it('uses a default text and the rule code when the rule has no message', async () => {
    expect(await run(mime(part('application/zip')))).toMatchObject({
      code: DENYSOFT,
      enhanced: '4.6.1',
      message: ['Content type application/zip is not accepted here'],
    })
  })

  it('finds a refused part behind accepted ones and inside nested parts and attached messages', async () => {
    const nested = `Content-Type: multipart/alternative; boundary=in\n\n--in\n${part('text/plain')}\n--in\n${part('application/x-msdos-program')}\n--in--`
    expect((await run(mime(part('text/plain'), nested))).code).toBe(DENY)
    const attached = `Content-Type: message/rfc822\n\nSubject: fwd\nContent-Type: application/x-msdownload\n\nMZ`
    expect((await run(mime(part('text/plain'), attached), '', [...TYPES, 'message/rfc822 OK'])).code).toBe(
      DENY,
    )
  })

  it('finds a refused part inside a message attached with Content-Disposition: attachment', async () => {
    const inner = `Subject: fwd\nContent-Type: multipart/mixed; boundary=in\n\n--in\n${part('text/plain')}\n--in\nContent-Type: application/x-msdownload; name="setup.exe"\nContent-Disposition: attachment; filename="setup.exe"\n\nMZ\n--in--`
    const attached = `Content-Type: message/rfc822\nContent-Disposition: attachment; filename="fwd.eml"\n\n${inner}`
    const h = await load('', [...TYPES, 'message/rfc822 OK'])
    expect(await check(h, mime(part('text/plain'), attached))).toMatchObject({
      code: DENY,
      enhanced: '5.6.1',
      message: ['No Windows executables, please'],
    })
    // The same message attached in base64, as some clients send it, is opened too.
    const base64 = Buffer.from(inner.replace(/\n/g, '\r\n')).toString('base64')
    const encoded = `Content-Type: message/rfc822\nContent-Disposition: attachment\nContent-Transfer-Encoding: base64\n\n${base64}`
    expect((await run(mime(part('text/plain'), encoded), '', [...TYPES, 'message/rfc822 OK'])).code).toBe(
      DENY,
    )
  })

  it('refuses messages nested deeper than max_nesting as too complex to check', async () => {
    let nested = part('text/plain')
    for (let i = 0; i < 3; i++)
      nested = `Content-Type: message/rfc822\nContent-Disposition: attachment\n\n${nested}`
    const types = [...TYPES, 'message/rfc822 OK']
    expect((await run(mime(nested), '', types)).code).toBe(OK)
    expect(await run(mime(nested), 'max_nesting 2', types)).toMatchObject({
      code: DENY,
      enhanced: '5.6.0',
      message: ['Message structure too complex to check'],
    })
    await expect(load('max_nesting -1')).rejects.toThrow(/max_nesting must be a whole number/)
  })

  it('uses the type mailsplit guesses from a filename when Content-Type is missing', async () => {
    const noType = 'Content-Disposition: attachment; filename="archive.zip"\n\nPK'
    expect((await run(mime(part('text/plain'), noType))).code).toBe(DENYSOFT)
  })

  it('can refuse a container type outright', async () => {
    expect(
      (await run(mime(part('text/plain')), '', ['multipart/mixed DENY No multipart', 'text/plain OK']))
        .message,
    ).toEqual(['No multipart'])
  })

  it('with reject 0 only logs', async () => {
    const h = await load('reject 0')
    expect((await check(h, mime(part('application/zip')))).code).toBe(DECLINED)
    expect(
      h.logs.some((l) => /fail, tolerated, application\/zip \(.*content_types:6\)/.test(l.message)),
    ).toBe(true)
  })

  it('refuses a message with more parts than max_parts instead of passing it unchecked', async () => {
    const many = mime(...Array.from({ length: 30 }, () => part('text/plain')))
    expect((await run(many)).code).toBe(OK)
    expect(await run(many, 'max_parts 10')).toMatchObject({
      code: DENY,
      enhanced: '5.6.0',
      message: ['Message structure too complex to check'],
    })
  })

  it('declines with no content_types file', async () => {
    expect((await run(mime(part('application/zip')), '', [])).code).toBe(DECLINED)
  })

  it('reports a bad rule at load with file and line, never at mail time', async () => {
    await expect(
      loadPlugin(plugin, { config: { content_types: ['text/plain OK', '/x(/ DENY'] } }),
    ).rejects.toThrow(/content_types:2: pattern \/x\(\/: not a valid regular expression/)
    await expect(loadPlugin(plugin, { config: { content_types: ['/(x+x+)+y/ DENY'] } })).rejects.toThrow(
      /content_types:1: .*backtracking/,
    )
  })

  it('keeps the last good table when the file is broken later', async () => {
    const h = await load()
    h.writeConfig('content_types', ['image/* (DENY'])
    const s = h.session()
    s.begin({ sender: 'a@example.com', message: mime(part('application/zip')) })
    expect((await h.first('data_post', s)).code).toBe(DENYSOFT)
    expect(h.logs.some((l) => /config change rejected/.test(l.message))).toBe(true)
  })

  it('is not fooled by hostile header values', async () => {
    const text = mime(part('__proto__/constructor'), part(`text/plain; charset="${'x'.repeat(10_000)}"`))
    expect((await run(text, '', [...TYPES, '__proto__/* DENY proto'])).message).toEqual(['proto'])
  })
})
