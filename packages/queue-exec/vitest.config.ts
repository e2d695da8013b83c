import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@postern/source'] },
  ssr: { resolve: { conditions: ['@postern/source'] } },
  // Tests spawn real programs: allow for a busy 2-core machine.
  test: { name: '@postern/queue-exec', testTimeout: 30_000, hookTimeout: 30_000 },
})
