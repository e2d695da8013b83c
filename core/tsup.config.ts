import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Bundled, not required at run time: semver is ~12 CommonJS files, and loading them one by
  // one cost ~30 ms of every start on a 2-core machine; in the bundle they cost ~2 ms.
  noExternal: ['semver'],
})
