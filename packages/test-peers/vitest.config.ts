import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@postern/source'] },
  ssr: { resolve: { conditions: ['@postern/source'] } },
  test: { name: '@postern/test-peers' },
})
