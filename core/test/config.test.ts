import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigDir, ConfigError, ConfigService, parsePluginLines } from '../src/index.js'

let dir: string
let qmail: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'postern-config-'))
  qmail = mkdtempSync(path.join(tmpdir(), 'postern-qmail-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
  rmSync(qmail, { recursive: true, force: true })
})

const write = (name: string, text: string, base = dir) => {
  mkdirSync(path.dirname(path.join(base, name)), { recursive: true })
  writeFileSync(path.join(base, name), text)
}

describe('ConfigDir: qpsmtpd flat files', () => {
  it('drops comments and blank lines, trims, keeps inline #', () => {
    write('rcpthosts', '# comment\n\n  example.com  \r\nexample.org # not a comment\n\t# indented comment\n')
    const c = new ConfigDir(dir, { qmailControlDir: false })
    expect(c.list('rcpthosts')).toEqual(['example.com', 'example.org # not a comment'])
    expect(c.lines('rcpthosts')[0]).toMatchObject({ value: 'example.com', line: 3 })
    expect(c.get('rcpthosts')).toBe('example.com')
    expect(c.list('missing')).toEqual([])
    expect(c.get('missing', 'fallback')).toBe('fallback')
  })

  it('expands $include of files and directories, sorted, skipping dot files', () => {
    write('badmailfrom', 'a@example.com\n$include extra/bad\n$include lists.d\nz@example.com\n')
    write('extra/bad', 'b@example.com\n')
    write('lists.d/20-second', 'd@example.com\n')
    write('lists.d/10-first', 'c@example.com\n')
    write('lists.d/.hidden', 'never@example.com\n')
    const c = new ConfigDir(dir, { qmailControlDir: false })
    expect(c.list('badmailfrom')).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
      'd@example.com',
      'z@example.com',
    ])
    expect(c.lines('badmailfrom')[2]?.file).toBe(path.join(dir, 'lists.d/10-first'))
  })

  it('reports $include loops and missing targets with file and line', () => {
    write('a', 'x\n$include b\n')
    write('b', '$include a\n')
    write('c', 'one\n$include nowhere\n')
    const c = new ConfigDir(dir, { qmailControlDir: false })
    expect(() => c.list('a')).toThrow(/\$include loop: a -> b -> a/)
    try {
      c.list('c')
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).line).toBe(2)
    }
  })

  it('reports a loop through an included directory', () => {
    write('top', 'x\n$include loop.d\n')
    write('loop.d/10-a', 'a\n')
    write('loop.d/20-b', 'b\n$include loop.d\n')
    const c = new ConfigDir(dir, { qmailControlDir: false })
    expect(() => c.list('top')).toThrow(ConfigError)
    // The chain lists files: the directory's own files are where it comes back.
    expect(() => c.list('top')).toThrow(/\$include loop: top -> loop.d\/20-b -> loop.d\/20-b$/)
    // A directory included twice without a loop is fine.
    write('twice', '$include loop.d/10-a\n$include loop.d/10-a\n')
    expect(c.list('twice')).toEqual(['a', 'a'])
  })

  it('falls back to the qmail control dir per file', () => {
    write('me', 'local.example\n')
    write('me', 'qmail.example\n', qmail)
    write('rcpthosts', 'from-qmail.example\n', qmail)
    const c = new ConfigDir(dir, { qmailControlDir: qmail })
    expect(c.get('me')).toBe('local.example')
    expect(c.list('rcpthosts')).toEqual(['from-qmail.example'])
  })

  it('refuses names that leave the config dir', () => {
    const c = new ConfigDir(dir, { qmailControlDir: false })
    expect(() => c.list('../etc/passwd')).toThrow(ConfigError)
    expect(() => c.list('/etc/passwd')).toThrow(ConfigError)
  })

  it('drops the cached value when the file changes', async () => {
    write('badhelo', 'one\n')
    const c = new ConfigDir(dir, { qmailControlDir: false })
    const changed: string[] = []
    c.onChange((n) => changed.push(n))
    expect(c.list('badhelo')).toEqual(['one'])
    expect(c.lines('badhelo')).toBe(c.lines('badhelo')) // cached
    write('badhelo', 'two\n')
    await waitFor(() => c.list('badhelo')[0] === 'two')
    expect(changed).toContain('badhelo')
    // A file that did not exist is seen once it is created.
    expect(c.list('later')).toEqual([])
    write('later', 'now\n')
    await waitFor(() => c.list('later')[0] === 'now')
    c.close()
  })

  it('sees a file added to an included directory that was empty at the first read', async () => {
    write('badrcptto', 'x@example.com\n$include empty.d\n')
    mkdirSync(path.join(dir, 'empty.d'))
    const c = new ConfigDir(dir, { qmailControlDir: false })
    expect(c.list('badrcptto')).toEqual(['x@example.com'])
    write('empty.d/10-new', 'y@example.com\n')
    await waitFor(() => c.list('badrcptto').includes('y@example.com'))
    expect(c.list('badrcptto')).toEqual(['x@example.com', 'y@example.com'])
    c.close()
  })

  it('drops the cached value when an included file changes, or a file appears in an included dir', async () => {
    write('badmailfrom', 'a@example.com\n$include extra/more\n$include lists.d\n')
    write('extra/more', 'b@example.com\n')
    write('lists.d/10-first', 'c@example.com\n')
    const c = new ConfigDir(dir, { qmailControlDir: false })
    const changed: string[] = []
    c.onChange((n) => changed.push(n))
    expect(c.list('badmailfrom')).toEqual(['a@example.com', 'b@example.com', 'c@example.com'])
    write('extra/more', 'changed@example.com\n')
    await waitFor(() => c.list('badmailfrom')[1] === 'changed@example.com')
    expect(changed).toContain('badmailfrom')
    write('lists.d/20-second', 'd@example.com\n')
    await waitFor(() => c.list('badmailfrom').includes('d@example.com'))
    expect(c.list('badmailfrom')).toEqual([
      'a@example.com',
      'changed@example.com',
      'c@example.com',
      'd@example.com',
    ])
    c.close()
  })

  it('reload() drops everything (SIGHUP)', () => {
    write('x', '1\n')
    const c = new ConfigDir(dir, { qmailControlDir: false, watch: false })
    expect(c.get('x')).toBe('1')
    write('x', '2\n')
    expect(c.get('x')).toBe('1')
    c.reload()
    expect(c.get('x')).toBe('2')
  })
})

describe('ConfigService', () => {
  it('parsed() fails at load with file and line, keeps the last good value later', async () => {
    write('patterns', 'good\n')
    const files = new ConfigDir(dir, { qmailControlDir: false, watch: false })
    const svc = new ConfigService(files)
    const parse = (lines: readonly { value: string; file: string; line: number }[]) =>
      lines.map((l) => {
        if (l.value === 'bad') throw new ConfigError('bad pattern', l.file, l.line)
        return l.value.toUpperCase()
      })
    const parsed = await svc.parsed('patterns', parse)
    expect(await parsed.get()).toEqual(['GOOD'])
    write('patterns', 'bad\n')
    files.reload()
    expect(await parsed.get()).toEqual(['GOOD'])
    write('patterns', 'bad\n')
    await expect(svc.parsed('patterns', parse)).rejects.toThrow(/patterns:1: bad pattern/)
  })

  it('asks config hooks before files', async () => {
    write('me', 'file.example\n')
    const svc = new ConfigService(new ConfigDir(dir, { qmailControlDir: false, watch: false }))
    svc.useHooks({
      active: true,
      config: async (k) => (k === 'me' ? ['hook.example'] : undefined),
      userConfig: async () => undefined,
    })
    expect(await svc.get('me')).toBe('hook.example')
    expect(await svc.list('other')).toEqual([])
  })
})

describe('config/plugins lines', () => {
  it('parses names, arguments and :N instances', () => {
    const lines = parsePluginLines([
      { value: 'check_relay', file: 'plugins', line: 1 },
      { value: 'check_badmailfrom reject naughty', file: 'plugins', line: 2 },
      { value: 'rcpt_regexp:2 file other', file: 'plugins', line: 3 },
      { value: 'queue/maildir /var/mail', file: 'plugins', line: 4 },
    ])
    expect(lines.map((l) => [l.name, l.instance, l.args])).toEqual([
      ['check_relay', 'check_relay', []],
      ['check_badmailfrom', 'check_badmailfrom', ['reject', 'naughty']],
      ['rcpt_regexp', 'rcpt_regexp:2', ['file', 'other']],
      ['queue/maildir', 'queue/maildir', ['/var/mail']],
    ])
  })

  it('takes tabs as whitespace', () => {
    const lines = parsePluginLines([
      { value: 'check_badmailfrom\treject\tnaughty', file: 'plugins', line: 1 },
      { value: 'rcpt_regexp:2 \t file\t\tother', file: 'plugins', line: 2 },
    ])
    expect(lines.map((l) => [l.instance, l.args])).toEqual([
      ['check_badmailfrom', ['reject', 'naughty']],
      ['rcpt_regexp:2', ['file', 'other']],
    ])
  })

  it('refuses a plugin listed twice without :N, and non-ASCII lines', () => {
    expect(() =>
      parsePluginLines([
        { value: 'a', file: 'plugins', line: 1 },
        { value: 'a x', file: 'plugins', line: 2 },
      ]),
    ).toThrow(/plugins:2: plugin a is listed twice/)
    expect(() => parsePluginLines([{ value: 'plügin', file: 'plugins', line: 1 }])).toThrow(ConfigError)
  })
})

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
