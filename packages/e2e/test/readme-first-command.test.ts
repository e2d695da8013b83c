/**
 * The README's first command ends in `pnpm start`: Postern on examples/config, delivering into
 * examples/Maildir. This runs that script (scripts/start.mjs, through the installed `postern`
 * bin as an admin would) and does what the README tells a new user to do next: send a message
 * with swaks to user@example.com and find it in examples/Maildir/new/. Only the listen address
 * differs (a free port instead of 2525, which another program may hold).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { type Running, repoRoot, startPostern, swaks, swaksBinary } from '@postern/test-peers'
import { afterAll, describe, expect, it } from 'vitest'

const newDir = path.join(repoRoot, 'examples/Maildir/new')
const hasSwaks = swaksBinary() !== undefined

function listNew(): string[] {
  try {
    return readdirSync(newDir)
  } catch {
    return []
  }
}

describe.skipIf(!hasSwaks)('the README first command (pnpm start)', () => {
  let running: Running | undefined
  const delivered: string[] = []

  afterAll(async () => {
    for (const name of delivered) rmSync(path.join(newDir, name), { force: true })
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM')
      await running.exited
    }
  })

  it('serves examples/config; swaks to user@example.com lands in examples/Maildir/new; SIGTERM exits 0', async () => {
    running = await startPostern(['--listen', '127.0.0.1:0'], {}, path.join(repoRoot, 'scripts/start.mjs'))
    const before = new Set(listNew())
    const marker = `readme-${process.pid}-${Date.now()}`
    const sent = await swaks(running.port, ['--to', 'user@example.com', '--header', `X-Test-Id: ${marker}`])
    expect(sent.code, sent.output).toBe(0)
    expect(sent.output).toMatch(/<-\s+250 2\.0\.0 /)

    const added = listNew().filter((name) => !before.has(name))
    const mine = added.filter((name) => readFileSync(path.join(newDir, name), 'utf8').includes(marker))
    delivered.push(...mine)
    expect(mine).toHaveLength(1)
    const text = readFileSync(path.join(newDir, mine[0]!), 'utf8')
    expect(text).toMatch(/^Received: from /m)
    expect(text).toContain('user@example.com')

    // The signal reaches postern through the wrapper: it drains and exits 0.
    running.child.kill('SIGTERM')
    expect(await running.exited).toBe(0)
  })
})
