import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { tempDir } from '@postern/test-peers'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_BUSY_TIMEOUT, SqliteStore } from '../src/index.js'

const run = promisify(execFile)
const pkgDir = path.resolve(import.meta.dirname, '..')
let dir: string
let file: string
const open: SqliteStore[] = []
const store = (options = {}) => {
  const s = new SqliteStore(file, options)
  open.push(s)
  return s
}
beforeEach(() => {
  dir = tempDir('sqlite')
  file = path.join(dir, 'state.db')
})
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('SqliteStore', () => {
  it('uses WAL and keeps values (and their expiry) across a reopen', async () => {
    const a = store()
    await a.set('perm', 'v')
    await a.set('ttl', 'w', { ttl: 3_600_000 })
    await a.close()
    const db = new Database(file, { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
    const b = store()
    expect(await b.get('perm')).toBe('v')
    const entries = []
    for await (const e of b.scan('ttl')) entries.push(e)
    expect(entries[0]?.expiresAt).toBeGreaterThan(Date.now())
  })

  it('purgeExpired deletes expired rows and only those', async () => {
    const s = store({ purgeInterval: 0 })
    await s.set('old1', 'x', { ttl: 1 })
    await s.set('old2', 'x', { ttl: 1 })
    await s.set('live', 'y', { ttl: 3_600_000 })
    await s.set('perm', 'z')
    await new Promise((r) => setTimeout(r, 20))
    expect(s.purgeExpired()).toBe(2)
    expect(s.purgeExpired()).toBe(0)
    const db = new Database(file, { readonly: true })
    const rows = db.prepare('SELECT key FROM postern_store ORDER BY key').pluck().all()
    db.close()
    expect(rows).toEqual(['live', 'perm'])
  })

  it('two stores on one file see each other at once', async () => {
    const a = store()
    const b = store()
    await a.set('k', '1')
    expect(await b.get('k')).toBe('1')
    await b.incr('n', 2)
    expect(await a.incr('n', 3)).toBe(5)
  })

  it('incr is atomic across separate processes sharing the file', async () => {
    const s = store()
    await s.set('warm', 'up') // creates the file and the table before the workers race
    const worker = path.join(pkgDir, 'test/fixtures/incr-worker.ts')
    const args = ['--conditions=@postern/source', '--import', 'tsx', worker, file, 'shared', '300']
    const results = await Promise.all([
      run(process.execPath, args, { cwd: pkgDir }),
      run(process.execPath, args, { cwd: pkgDir }),
      run(process.execPath, args, { cwd: pkgDir }),
    ])
    for (const r of results) expect(Number(r.stdout.trim())).toBeLessThanOrEqual(900)
    expect(await s.get('shared')).toBe('900')
  }, 60_000)

  it('fails with SQLITE_BUSY once the busy timeout is over while another connection holds the write lock', async () => {
    const s = store({ busyTimeout: 50 })
    expect(s.busyTimeout).toBe(50)
    await s.set('k', 'before')
    const other = new Database(file)
    try {
      other.exec('BEGIN IMMEDIATE') // another process's write in progress
      await expect(s.set('k', 'during')).rejects.toMatchObject({ code: 'SQLITE_BUSY' })
      expect(await s.get('k')).toBe('before') // WAL: reads go on meanwhile
      other.exec('COMMIT')
      await s.set('k', 'after')
      expect(await s.get('k')).toBe('after')
    } finally {
      other.close()
    }
  })

  it('waits 1000 ms by default', () => {
    expect(store().busyTimeout).toBe(DEFAULT_BUSY_TIMEOUT)
    expect(DEFAULT_BUSY_TIMEOUT).toBe(1000)
  })

  it('refuses a table name that is not an identifier', () => {
    expect(() => new SqliteStore(':memory:', { table: 'x; DROP TABLE y' })).toThrow(/bad table name/)
  })
})
