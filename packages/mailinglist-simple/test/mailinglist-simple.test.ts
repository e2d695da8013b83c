import { Readable } from 'node:stream'
import { text as readText } from 'node:stream/consumers'
import { Address, DECLINED, DENY, DENYSOFT, Header, type MessageBody } from '@postern/core'
import { loadPlugin, loadPluginForTest } from '@postern/testing'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { planSignature, SignedBody } from '../src/index.js'

const CONFIG = {
  mailinglist_simple: [
    '# address access options',
    'team@lists.example.org PROTECTED members=team.members signature=team.sig',
    'news@lists.example.org public reply_to=none name=news.example.org',
    'chat@lists.example.org public reply_to=talk@lists.example.org signature=utf8.sig',
  ],
  'team.members': ['Alice <alice@example.com>', 'bob@example.com'],
  'team.sig': '-- \nThe team list\nhttps://lists.example.org/team\n',
  'utf8.sig': '-- \nGrüße von der Liste\n',
}

function load(args = '') {
  return loadPluginForTest(plugin, { args, config: CONFIG })
}

async function rcpt(sender: string, to: string, args = '') {
  const h = await load(args)
  const s = h.session()
  s.begin({ sender })
  return h.first('rcpt', s, Address.parse(`<${to}>`), new Map())
}

async function deliver(recipients: string[], message: string) {
  const h = await load()
  const s = h.session()
  const tx = s.begin({ sender: 'alice@example.com', recipients, message })
  await h.notify('data_post_headers', s)
  return {
    tx,
    text: await readText(tx.body!.stream('message')),
    body: await readText(tx.body!.stream('body')),
  }
}

describe('mailinglist_simple', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  describe('at RCPT', () => {
    it('lets members post to a protected list', async () => {
      expect((await rcpt('Alice@example.com', 'team@lists.example.org')).code).toBe(DECLINED)
      expect((await rcpt('bob@example.com', 'TEAM@lists.example.org')).code).toBe(DECLINED)
    })

    it('refuses others with 550 5.7.2', async () => {
      expect(await rcpt('mallory@example.net', 'team@lists.example.org')).toMatchObject({
        code: DENY,
        enhanced: '5.7.2',
        message: ['Only members may post to the list team@lists.example.org'],
        plugin: 'mailinglist_simple',
      })
      expect((await rcpt('mallory@example.net', 'team@lists.example.org', 'reject_type temp')).code).toBe(
        DENYSOFT,
      )
    })

    it('lets anyone post to a public list, and ignores other recipients', async () => {
      expect((await rcpt('mallory@example.net', 'news@lists.example.org')).code).toBe(DECLINED)
      expect((await rcpt('mallory@example.net', 'someone@lists.example.org')).code).toBe(DECLINED)
    })
  })

  describe('headers', () => {
    it('adds Precedence: bulk, X-Mailing-List and a Reply-To to the list, replacing the old ones', async () => {
      const { tx } = await deliver(
        ['team@lists.example.org', 'carol@example.org'],
        'From: alice@example.com\nReply-To: alice@example.com\nPrecedence: list\nSubject: hi\n\nhello\n',
      )
      expect(tx.header!.getAll('Precedence')).toEqual(['bulk'])
      expect(tx.header!.getAll('X-Mailing-List')).toEqual(['team@lists.example.org'])
      expect(tx.header!.getAll('Reply-To')).toEqual(['<team@lists.example.org>'])
    })

    it('honours name= and reply_to=none, and marks every list of a message', async () => {
      const { tx } = await deliver(
        ['news@lists.example.org', 'chat@lists.example.org'],
        'From: alice@example.com\nReply-To: alice@example.com\n\nhello\n',
      )
      expect(tx.header!.getAll('X-Mailing-List')).toEqual(['news.example.org', 'chat@lists.example.org'])
      expect(tx.header!.getAll('Reply-To')).toEqual(['<talk@lists.example.org>'])
    })

    it('leaves messages to no list alone', async () => {
      const { tx } = await deliver(['carol@example.org'], 'From: a@example.com\n\nhello\n')
      expect(tx.header!.has('Precedence')).toBe(false)
    })
  })

  describe('signature', () => {
    it('is appended to a plain text message; raw, size and path stay as received', async () => {
      const original = 'From: alice@example.com\nSubject: hi\n\nhello\n'
      const { tx, text, body } = await deliver(['team@lists.example.org'], original)
      expect(
        text.endsWith('\r\n\r\nhello\r\n-- \r\nThe team list\r\nhttps://lists.example.org/team\r\n'),
      ).toBe(true)
      expect(body).toBe('hello\r\n-- \r\nThe team list\r\nhttps://lists.example.org/team\r\n')
      expect(await readText(tx.body!.stream('raw'))).toBe(original.replace(/\n/g, '\r\n'))
      expect(tx.body!.size).toBe(Buffer.byteLength(original.replace(/\n/g, '\r\n')))
      expect(tx.body).toBeInstanceOf(SignedBody)
    })

    it('ends an unterminated last line first', async () => {
      const { body } = await deliver(['team@lists.example.org'], 'Subject: x\n\nno newline')
      expect(body).toBe('no newline\r\n-- \r\nThe team list\r\nhttps://lists.example.org/team\r\n')
    })

    it('is inserted as its own part before the closing boundary of multipart/mixed', async () => {
      const message = [
        'Subject: x',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="outer"',
        '',
        '--outer',
        'Content-Type: multipart/alternative; boundary=inner',
        '',
        '--inner',
        'Content-Type: text/plain',
        '',
        'hello',
        '--inner--',
        '--outer',
        'Content-Type: application/pdf',
        '',
        'JVBERi0=',
        '--outer--',
        'epilogue',
        '',
      ].join('\n')
      const { text } = await deliver(['team@lists.example.org'], message)
      expect(text).toContain(
        'JVBERi0=\r\n--outer\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\nContent-Disposition: inline\r\n\r\n-- \r\nThe team list\r\nhttps://lists.example.org/team\r\n--outer--\r\nepilogue\r\n',
      )
      expect(text.match(/--inner--/g)).toHaveLength(1)
    })

    it('finds the closing boundary however the stream is cut', async () => {
      const message = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n'
      const bytes = Buffer.from(message)
      const inner: MessageBody = {
        size: bytes.length,
        headerSize: 0,
        stream: (part = 'message') =>
          Readable.from(
            [...(part === 'body' ? bytes.subarray(message.indexOf('\r\n\r\n') + 4) : bytes)].map((b) =>
              Buffer.from([b]),
            ),
          ),
      }
      const plan = planSignature(Header.parse('Content-Type: multipart/mixed; boundary=b\r\n'), 'sig')
      expect(plan.kind).toBe('insert')
      const signed = new SignedBody(inner, plan as Exclude<typeof plan, { kind: 'skip' }>)
      const out = await readText(signed.stream('message'))
      expect(out).toBe(
        `${message.replace('--b--', '--b\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\nContent-Disposition: inline\r\n\r\nsig\r\n--b--')}`,
      )
      expect(await readText(signed.stream('body'))).toContain('sig\r\n--b--\r\n')
    })

    it('passes very long lines through without buffering them', async () => {
      const long = 'A'.repeat(100_000)
      const message = `Content-Type: multipart/mixed; boundary=b\n\n--b\n\n${long}\n--b--\n`
      const { body } = await deliver(['team@lists.example.org'], message)
      expect(body).toContain(`${long}\r\n--b\r\n`)
      expect(body.endsWith('https://lists.example.org/team\r\n--b--\r\n')).toBe(true)
    })

    it('encodes a non-ASCII signature in base64 in its own part', async () => {
      const { text } = await deliver(
        ['chat@lists.example.org'],
        'Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n',
      )
      expect(text).toContain('charset=utf-8\r\nContent-Transfer-Encoding: base64')
      expect(text).toContain(Buffer.from('-- \r\nGrüße von der Liste').toString('base64'))
    })

    it('decides what it can touch', () => {
      const plan = (header: string, sig = 'sig') => planSignature(Header.parse(`${header}\r\n`), sig)
      expect(plan('Content-Type: text/plain; charset=utf-8').kind).toBe('append')
      expect(
        plan('Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit', 'Grüße').kind,
      ).toBe('skip')
      expect(
        plan('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit', 'Grüße').kind,
      ).toBe('append')
      expect(plan('Content-Type: text/plain\r\nContent-Transfer-Encoding: base64').kind).toBe('skip')
      const qp = plan('Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable', 'a=b ')
      expect(qp).toMatchObject({ kind: 'append', bytes: Buffer.from('a=3Db\r\n') })
      expect(plan('Content-Type: multipart/alternative; boundary=x').kind).toBe('skip')
      expect(plan('Content-Type: multipart/signed; boundary=x').kind).toBe('skip')
      expect(plan('Content-Type: multipart/mixed').kind).toBe('skip')
      expect(plan('Content-Type: text/html').kind).toBe('skip')
      expect(plan('Subject: no type').kind).toBe('append')
    })

    it('passes the engine body remove() through, and signs once', async () => {
      const h = await load()
      const s = h.session()
      const tx = s.begin({
        sender: 'a@example.com',
        recipients: ['team@lists.example.org'],
        message: 'Subject: x\n\nhi\n',
      })
      let removed = 0
      Object.assign(tx.body!, { remove: async () => void removed++ })
      await h.notify('data_post_headers', s)
      await h.notify('data_post_headers', s)
      await (tx.body as SignedBody).remove!()
      expect(removed).toBe(1)
      expect((await readText(tx.body!.stream('body'))).match(/The team list/g)).toHaveLength(1)
    })
  })

  it('reports a bad list line at load with file and line', async () => {
    const bad = async (line: string) =>
      loadPlugin(plugin, { config: { mailinglist_simple: ['news@x.org public', line] } })
    await expect(bad('team@x.org protected')).rejects.toThrow(
      /mailinglist_simple:2: the protected list team@x.org needs members=FILE/,
    )
    await expect(bad('team@x.org open')).rejects.toThrow(/mailinglist_simple:2: expected PUBLIC or PROTECTED/)
    await expect(bad('not-an-address public')).rejects.toThrow(
      /mailinglist_simple:2: .* is not a list address/,
    )
    await expect(bad('a@x.org public signature=../../etc/passwd')).rejects.toThrow(
      /must name a file in the config directory/,
    )
    await expect(bad('a@x.org public colour=red')).rejects.toThrow(/unknown option/)
    await expect(bad('news@x.org public')).rejects.toThrow(/listed twice/)
  })

  it('is safe with hostile addresses and headers', async () => {
    expect((await rcpt('__proto__@example.com', 'team@lists.example.org')).code).toBe(DENY)
    const { tx } = await deliver(['team@lists.example.org'], '__proto__: x\nconstructor: y\n\nhello\n')
    expect(tx.header!.get('__proto__')).toBe('x')
    expect(tx.header!.get('Precedence')).toBe('bulk')
  })
})
