import { defineConfig } from 'tsup'

export default defineConfig({
  // Two entries: the main one must not import vitest (CommonJS, optional peer); ./vitest does.
  entry: ['src/index.ts', 'src/vitest.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
})
