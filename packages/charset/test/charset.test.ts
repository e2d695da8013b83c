import { DECLINED, DENY, DENYSOFT, OK } from '@postern/core'
import { loadPlugin, loadPluginForTest, type PluginHarness } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { encodedWordCharsets } from '../src/index.js'

const CHARSETS = [
  '# charset CODE [message]',
  'koi8-r DENY We do not read Russian',
  'big5 DENYSOFT',
  'utf-8 OK',
  'us-ascii OK',
  'iso-8859-* OK',
]

function mime(...parts: string[]): string {
  let m = 'From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\n'
  for (const p of parts) m += `--BB\n${p}\n`
  return `${m}--BB--\n`
}
const text = (charset?: string, type = 'text/plain') =>
  `Content-Type: ${type}${charset ? `; charset="${charset}"` : ''}\n\nx`

function load(args = '', charsets: string[] = CHARSETS) {
  return loadPluginForTest(plugin, { args, config: { charsets } })
}

function check(h: PluginHarness, message: string) {
  const s = h.session()
  s.begin({ sender: 'a@example.com', recipients: ['b@example.org'], message })
  return h.first('data_post', s)
}

async function run(message: string, args = '', charsets: string[] = CHARSETS) {
  return check(await load(args, charsets), message)
}

describe('charset', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('finds encoded-word charsets', () => {
    expect(encodedWordCharsets('=?KOI8-R?B?8NLJ18XU?= and =?utf-8*en?q?hi?= =?bad')).toEqual([
      'koi8-r',
      'utf-8',
    ])
  })

  it('answers OK when every text part has an accepted charset', async () => {
    expect(await run(mime(text('utf-8'), text('ISO-8859-15', 'text/html')))).toMatchObject({
      code: OK,
      plugin: 'charset',
    })
  })

  it('takes a text part without a charset as us-ascii, and ignores non-text parts', async () => {
    expect((await run(mime(text(), 'Content-Type: image/png\n\nx'))).code).toBe(OK)
  })

  it('refuses a denied charset with the rule message and 5.6.1', async () => {
    expect(await run(mime(text('utf-8'), text('koi8-r')))).toMatchObject({
      code: DENY,
      enhanced: '5.6.1',
      message: ['We do not read Russian'],
    })
    expect(await run(mime(text('big5')))).toMatchObject({
      code: DENYSOFT,
      enhanced: '4.6.1',
      message: ['Charset big5 is not accepted here'],
    })
  })

  it('declines when a charset matched no rule, unless default says otherwise', async () => {
    expect((await run(mime(text('windows-1251')))).code).toBe(DECLINED)
    expect((await run(mime(text('windows-1251')), 'default DENY')).message).toEqual([
      'Charset windows-1251 is not accepted here',
    ])
    expect((await run(mime(text('utf-8')), 'default DENY')).code).toBe(OK)
    expect((await run(mime(text('windows-1251')), 'default DENY', [])).code).toBe(DENY)
  })

  it('reads a single-part message', async () => {
    expect((await run('Content-Type: text/plain; charset=koi8-r\nSubject: x\n\nx\n')).code).toBe(DENY)
  })

  it('checks encoded words in headers only with headers 1', async () => {
    const msg = 'Subject: =?koi8-r?B?8NLJ18XU?=\nContent-Type: text/plain; charset=utf-8\n\nx\n'
    expect((await run(msg)).code).toBe(OK)
    const headers = await load('headers 1')
    expect((await check(headers, msg)).code).toBe(DENY)
    expect(headers.logs.some((l) => /fail, charset koi8-r in subject header/.test(l.message))).toBe(true)
  })

  it('checks the text parts of a message attached with Content-Disposition: attachment', async () => {
    const attached = `Content-Type: message/rfc822\nContent-Disposition: attachment; filename="fwd.eml"\n\nSubject: fwd\nContent-Type: text/plain; charset=koi8-r\n\nx`
    const h = await load()
    expect(await check(h, mime(text('utf-8'), attached))).toMatchObject({
      code: DENY,
      enhanced: '5.6.1',
      message: ['We do not read Russian'],
    })
    expect(h.logs.some((l) => /fail, charset koi8-r in text\/plain/.test(l.message))).toBe(true)
    const quoted = `Content-Type: message/rfc822\nContent-Disposition: attachment\nContent-Transfer-Encoding: quoted-printable\n\nSubject: fwd\nContent-Type: text/plain; charset=3Dbig5\n\nx`
    expect((await run(mime(text('utf-8'), quoted))).code).toBe(DENYSOFT)
  })

  it('refuses messages nested deeper than max_nesting as too complex to check', async () => {
    let nested = text('utf-8')
    for (let i = 0; i < 3; i++)
      nested = `Content-Type: message/rfc822\nContent-Disposition: attachment\n\n${nested}`
    expect((await run(mime(nested))).code).toBe(OK)
    expect((await run(mime(nested), 'max_nesting 2')).enhanced).toBe('5.6.0')
  })

  it('with reject 0 only logs', async () => {
    expect((await run(mime(text('koi8-r')), 'reject 0')).code).toBe(DECLINED)
  })

  it('reports a bad rule at load with file and line', async () => {
    await expect(loadPlugin(plugin, { config: { charsets: ['utf-8 OK', '/[/ DENY'] } })).rejects.toThrow(
      /charsets:2: pattern/,
    )
    await expect(loadPlugin(plugin, { args: 'default MAYBE' })).rejects.toThrow(
      /default must be a return code/,
    )
  })

  it('survives hostile charsets', async () => {
    const r = await run(mime(text('__proto__'), text('x'.repeat(5000))), '', [
      ...CHARSETS,
      '__proto__ DENY proto',
    ])
    expect(r.message).toEqual(['proto'])
  })
})
