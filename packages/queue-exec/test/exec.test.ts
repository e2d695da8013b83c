/** queue/exec with real programs: small shell scripts written by the test, per contract. */
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { DENY, DENYSOFT, OK } from '@postern/core'
import { tempDir } from '@postern/test-peers'
import { loadPlugin, loadPluginForTest, runQueue, testMessage } from '@postern/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import pkg from '../package.json'
import plugin from '../src/index.js'

let dir: string
beforeEach(() => {
  dir = tempDir('exec')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const f = (name: string) => path.join(dir, name)

/** A program that records what it got and exits with the code in `code` (default 0). */
function script(name: string, body: string): string {
  const file = f(name)
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  return file
}

const fakeQmailQueue = () =>
  script(
    'qmail-queue',
    `cat > '${f('message')}'\ncat <&1 > '${f('envelope')}'\nexit "$(cat '${f('code')}' 2>/dev/null || echo 0)"`,
  )

const fakeSendmail = () =>
  script(
    'sendmail',
    `for a in "$@"; do printf '%s\\n' "$a"; done > '${f('argv')}'\ncat > '${f('message')}'\nexit "$(cat '${f('code')}' 2>/dev/null || echo 0)"`,
  )

interface Run {
  sender?: string
  recipients?: string[]
  message?: string | Buffer
  during?: (disconnect: () => void) => void
}

function queue(args: string, run: Run = {}) {
  return runQueue(plugin, {
    args,
    transaction: {
      sender: run.sender ?? 'sender@example.org',
      recipients: run.recipients ?? ['a@example.com', 'b@example.net'],
      message: run.message ?? 'Subject: hi\r\n\r\nhello\r\n',
    },
    during: run.during,
  })
}

/** Running (a zombie waiting for init to reap it counts as gone: it was killed). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

async function waitGone(pid: number): Promise<void> {
  while (alive(pid)) await new Promise((r) => setTimeout(r, 20))
}

describe('queue/exec', () => {
  it('declares the same core range at run time as in its peerDependencies', () => {
    expect(plugin.core).toBe(pkg.peerDependencies['@postern/core'])
  })

  it('refuses to load a program that is not executable, a bad mode or a bad eol', async () => {
    writeFileSync(f('plain'), 'not a program')
    await expect(loadPlugin(plugin, { args: f('plain') })).rejects.toThrow(/is not an executable program/)
    await expect(loadPlugin(plugin, { args: `mode smtp program ${fakeSendmail()}` })).rejects.toThrow(
      /mode must be/,
    )
    await expect(loadPlugin(plugin, { args: `sendmail ${fakeSendmail()} eol cr` })).rejects.toThrow(
      /eol must be/,
    )
  })

  describe('qmail-queue protocol', () => {
    it('message on fd 0 (LF text, not dot-stuffed), envelope on fd 1; exit 0 → OK', async () => {
      const prog = fakeQmailQueue()
      const { result } = await queue(prog, {
        message: Buffer.from('Subject: qq\r\n\r\n.dot\r\nbare\rcr\r\nlast'),
      })
      expect(result).toMatchObject({ code: OK, enhanced: '2.0.0' })
      expect(readFileSync(f('message'), 'latin1')).toBe('Subject: qq\n\n.dot\nbare\ncr\nlast\n')
      expect(readFileSync(f('envelope'), 'latin1')).toBe(
        'Fsender@example.org\0Ta@example.com\0Tb@example.net\0\0',
      )
    })

    it('the null sender is an empty F record; the qpsmtpd name and `eol crlf` work', async () => {
      const prog = fakeQmailQueue()
      await loadPluginForTest(plugin, { args: `qmail-queue ${prog} eol crlf` })
      const { result } = await queue(`qmail-queue ${prog} eol crlf`, {
        sender: '<>',
        recipients: ['a@example.com'],
      })
      expect(result.code).toBe(OK)
      expect(readFileSync(f('envelope'), 'latin1')).toBe('F\0Ta@example.com\0\0')
      expect(readFileSync(f('message'), 'latin1')).toBe('Subject: hi\r\n\r\nhello\r\n')
      expect(plugin.aliases).toContain('queue/qmail-queue')
    })

    const codes: [number, number, string, RegExp][] = [
      [11, DENY, '5.1.3', /Envelope address too long/],
      [31, DENY, '5.3.0', /permanently rejected/],
      [25, DENY, '5.3.0', /permanent problem \(#25\)/],
      [53, DENYSOFT, '4.3.0', /write error/],
      [71, DENYSOFT, '4.3.0', /temporarily rejected/],
      [73, DENYSOFT, '4.4.1', /rejected/],
      [99, DENYSOFT, '4.3.0', /temporary problem \(#99\)/],
    ]
    for (const [code, verdict, enhanced, text] of codes) {
      it(`exit ${code} → ${verdict === DENY ? 'DENY' : 'DENYSOFT'} ${enhanced}`, async () => {
        const prog = fakeQmailQueue()
        writeFileSync(f('code'), String(code))
        const { result } = await queue(prog)
        expect(result).toMatchObject({ code: verdict, enhanced, reply: verdict === DENY ? 554 : 451 })
        expect(String(result.message)).toMatch(text)
      })
    }

    it('a program killed by a signal is temporary', async () => {
      const prog = script('crash', 'cat > /dev/null\nkill -9 $$')
      const { result, logs } = await queue(prog)
      expect(result).toMatchObject({ code: DENYSOFT, enhanced: '4.3.0' })
      expect(logs.some((l) => /died of SIGKILL/.test(l.message))).toBe(true)
    })

    it('streams a large message with backpressure', async () => {
      const prog = fakeQmailQueue()
      const line = `${'x'.repeat(998)}\r\n`
      const big = `Subject: big\r\n\r\n${line.repeat(6000)}`
      const { result } = await queue(prog, { message: big })
      expect(result.code).toBe(OK)
      expect(readFileSync(f('message')).length).toBe(big.length - 6002)
    })

    it('a program that exits 0 without reading is believed (its contract), with a warning', async () => {
      const prog = script('discard', 'exit 0')
      const { result, logs } = await queue(prog, {
        message: `Subject: x\r\n\r\n${'y'.repeat(2_000_000)}\r\n`,
      })
      expect(result.code).toBe(OK)
      expect(logs.some((l) => /before reading the whole message/.test(l.message))).toBe(true)
    })

    it('a program that disappeared after load: DENYSOFT', async () => {
      const prog = fakeQmailQueue()
      const h = await loadPluginForTest(plugin, { args: prog })
      unlinkSync(prog)
      const s = h.session()
      const t = s.begin({ sender: 'a@example.org', recipients: ['b@example.com'] })
      t.body = testMessage('x\r\n')
      expect(await h.first('queue', s)).toMatchObject({ code: DENYSOFT, enhanced: '4.3.0' })
    })
  })

  describe('sendmail -i -f sender -- rcpts', () => {
    it('passes the envelope as separate argv words, never through a shell', async () => {
      const prog = fakeSendmail()
      const marker = f('pwned')
      const hostile = `"$(touch ${marker})"@example.com`
      const { result } = await queue(`sendmail ${prog}`, {
        recipients: ['a@example.com', '-oQ/tmp@example.com', hostile],
        message: 'Subject: sm\r\n\r\n.\r\nend\r\n',
      })
      expect(result.code).toBe(OK)
      expect(readFileSync(f('argv'), 'utf8').split('\n').slice(0, -1)).toEqual([
        '-i',
        '-f',
        'sender@example.org',
        '--',
        'a@example.com',
        '-oQ/tmp@example.com',
        hostile,
      ])
      expect(existsSync(marker)).toBe(false)
      // -i: a lone dot is text, so the message goes as it is (LF line ends).
      expect(readFileSync(f('message'), 'utf8')).toBe('Subject: sm\n\n.\nend\n')
    })

    it('the null sender is -f <>', async () => {
      const prog = fakeSendmail()
      await queue(`sendmail ${prog}`, { sender: '<>', recipients: ['a@example.com'] })
      expect(readFileSync(f('argv'), 'utf8')).toBe('-i\n-f\n<>\n--\na@example.com\n')
    })

    const codes: [number, number, string][] = [
      [75, DENYSOFT, '4.3.0'],
      [67, DENY, '5.1.1'],
      [77, DENY, '5.7.0'],
      [1, DENY, '5.3.0'],
    ]
    for (const [code, verdict, enhanced] of codes) {
      it(`exit ${code} → ${verdict === DENY ? 'DENY' : 'DENYSOFT'} ${enhanced}`, async () => {
        const prog = fakeSendmail()
        writeFileSync(f('code'), String(code))
        const { result } = await queue(`sendmail ${prog}`)
        expect(result).toMatchObject({ code: verdict, enhanced })
      })
    }
  })

  describe('deadlines', () => {
    const hang = () => script('hang', `echo $$ > '${f('pid')}'\nsleep 30 &\necho $! > '${f('child')}'\nwait`)

    it('kills the program and what it started at the hook deadline: DENYSOFT before the dispatcher gives up', async () => {
      const { result } = await queue(`${hang()} hook_timeout 1`)
      expect(result).toMatchObject({
        code: DENYSOFT,
        enhanced: '4.3.0',
        message: ['Queue program timed out, try again later'],
      })
      expect(result.failure).toBeUndefined()
      await waitGone(Number(readFileSync(f('pid'), 'utf8')))
      await waitGone(Number(readFileSync(f('child'), 'utf8')))
    })

    it('kills the program when the client goes away', async () => {
      const prog = hang()
      const { result } = await queue(prog, {
        during: (disconnect) => {
          const wait = () => (existsSync(f('child')) ? disconnect() : setTimeout(wait, 10))
          wait()
        },
      })
      expect(result.code).toBe(DENYSOFT)
      await waitGone(Number(readFileSync(f('child'), 'utf8')))
    })
  })
})
