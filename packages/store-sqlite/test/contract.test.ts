import { rmSync } from 'node:fs'
import path from 'node:path'
import { tempDir } from '@postern/test-peers'
import { storeContract } from '@postern/testing/vitest'
import { SqliteStore } from '../src/index.js'

// A real file (WAL and all), not `:memory:`.
const dir = tempDir('sqlite-contract')
let n = 0

storeContract('SqliteStore (file)', async () => new SqliteStore(path.join(dir, `store-${n++}.db`)), {
  async teardown() {
    rmSync(dir, { recursive: true, force: true })
  },
})
