import { defineConfig } from 'vitest/config'

// One vitest process runs every package's tests: on 2 cores this is several times
// faster than a process per package (see docs/development.md).
export default defineConfig({
  test: {
    projects: ['core', 'packages/*'],
  },
})
