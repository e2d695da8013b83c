import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Address, DECLINED, DENY, DENYSOFT } from '@postern/core'
import { loadPluginForTest, type PluginHarness } from '@postern/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin, { members, restrictPost } from '../src/index.js'

let listdir: string
beforeEach(() => {
  listdir = mkdtempSync(path.join(tmpdir(), 'majordomo-'))
  mkdirSync(listdir, { recursive: true })
  // A closed list: only its members post. An open one. A moderated one whose posters are staff.
  writeFileSync(path.join(listdir, 'team'), 'Alice Example <alice@example.com>\nbob@example.com (Bob)\n')
  writeFileSync(
    path.join(listdir, 'team.config'),
    '# majordomo config\ndescription = the team\nmessage_footer << END\nrestrict_post = nobody\nEND\nrestrict_post = team\n',
  )
  writeFileSync(path.join(listdir, 'open'), 'alice@example.com\n')
  writeFileSync(path.join(listdir, 'open.config'), 'description = open list\n')
  writeFileSync(path.join(listdir, 'staff'), 'carol@example.com\n')
  writeFileSync(path.join(listdir, 'news.config'), 'restrict_post = staff:team\n')
})
afterEach(() => {
  rmSync(listdir, { recursive: true, force: true })
})

function check(h: PluginHarness, sender: string, rcpt: string) {
  const s = h.session()
  s.begin({ sender })
  return h.first('rcpt', s, Address.parse(rcpt.startsWith('<') ? rcpt : `<${rcpt}>`), new Map())
}

async function post(sender: string, rcpt: string, args = `listdir ${listdir}`) {
  return check(await loadPluginForTest(plugin, { args }), sender, rcpt)
}

describe('majordomo', () => {
  it('declares its core range as in package.json', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('parses majordomo config and list files', () => {
    expect(restrictPost('a = b\nx << E\nrestrict_post = no\nE\nrestrict_post = one two:three\n')).toEqual([
      'one',
      'two',
      'three',
    ])
    expect(restrictPost('description = x\n')).toEqual([])
    expect([...members('# c\nA <A@X.org>\nb@y.org (B)\n\n')]).toEqual(['a@x.org', 'b@y.org'])
  })

  it('lets a member post to a restricted list (case-insensitively)', async () => {
    const h = await loadPluginForTest(plugin, { args: `listdir ${listdir}` })
    expect((await check(h, 'Alice@Example.com', 'team@lists.example.org')).code).toBe(DECLINED)
    expect(h.logs.some((l) => /pass, alice@example.com may post to team/.test(l.message))).toBe(true)
  })

  it('refuses a non-member with 550 5.7.2', async () => {
    expect(await post('mallory@example.net', 'team@lists.example.org')).toMatchObject({
      code: DENY,
      enhanced: '5.7.2',
      message: ['You are not allowed to post to the list team'],
      plugin: 'majordomo',
    })
  })

  it('refuses the null sender on a restricted list', async () => {
    expect((await post('<>', 'team@lists.example.org')).code).toBe(DENY)
  })

  it('reads every restrict_post file, colon- or space-separated', async () => {
    expect((await post('carol@example.com', 'news@x.org')).code).toBe(DECLINED)
    expect((await post('bob@example.com', 'news@x.org')).code).toBe(DECLINED)
    expect((await post('alice@elsewhere.org', 'news@x.org')).code).toBe(DENY)
  })

  it('leaves open lists and non-lists alone', async () => {
    expect((await post('mallory@example.net', 'open@x.org')).code).toBe(DECLINED)
    expect((await post('mallory@example.net', 'someone@x.org')).code).toBe(DECLINED)
  })

  it('only looks at the listed domains', async () => {
    expect(
      (await post('mallory@example.net', 'team@other.org', `listdir ${listdir} domains lists.example.org`))
        .code,
    ).toBe(DECLINED)
    expect(
      (
        await post(
          'mallory@example.net',
          'team@lists.example.org',
          `listdir ${listdir} domains lists.example.org`,
        )
      ).code,
    ).toBe(DENY)
  })

  it('sees membership changes without a restart', async () => {
    const h = await loadPluginForTest(plugin, { args: `listdir ${listdir}` })
    const s = h.session()
    s.begin({ sender: 'dave@example.com' })
    const rcpt = Address.parse('<team@x.org>')
    expect((await h.first('rcpt', s, rcpt, new Map())).code).toBe(DENY)
    writeFileSync(path.join(listdir, 'team'), 'alice@example.com\nbob@example.com\ndave@example.com\n')
    expect((await h.first('rcpt', s, rcpt, new Map())).code).toBe(DECLINED)
  })

  it('honours reject_type and reject 0', async () => {
    expect((await post('m@x.net', 'team@x.org', `listdir ${listdir} reject_type temp`)).code).toBe(DENYSOFT)
    expect((await post('m@x.net', 'team@x.org', `listdir ${listdir} reject 0`)).code).toBe(DECLINED)
  })

  it('answers 451 4.3.0 when a list config cannot be read', async () => {
    mkdirSync(path.join(listdir, 'broken.config')) // a directory: reading it fails
    expect(await post('m@x.net', 'broken@x.org')).toMatchObject({
      code: DENYSOFT,
      enhanced: '4.3.0',
      message: ['List configuration unavailable, try again later'],
    })
  })

  it('cannot be led out of the list directory', async () => {
    writeFileSync(path.join(listdir, '..', 'outside.config'), 'restrict_post = nobody\n')
    try {
      expect((await post('m@x.net', '<"../outside"@x.org>')).code).toBe(DECLINED)
      expect((await post('m@x.net', '__proto__@x.org')).code).toBe(DECLINED)
      expect((await post('m@x.net', 'team.config@x.org')).code).toBe(DECLINED)
    } finally {
      rmSync(path.join(listdir, '..', 'outside.config'), { force: true })
    }
  })
})
