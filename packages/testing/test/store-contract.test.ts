import { MemoryStore } from '@postern/core'
import { storeContract } from '../src/vitest.js'

// core's in-process store is the reference every other backend is held to.
storeContract('MemoryStore (core)', async () => new MemoryStore())
