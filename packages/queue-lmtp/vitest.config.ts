import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@postern/source'] },
  ssr: { resolve: { conditions: ['@postern/source'] } },
  // Real peers (Dovecot) start in each file: allow for a busy 2-core machine.
  test: { name: '@postern/queue-lmtp', testTimeout: 30_000, hookTimeout: 30_000 },
})
