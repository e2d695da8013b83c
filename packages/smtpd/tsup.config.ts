import { defineConfig } from 'tsup'

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
  },
  {
    // The CLI is ESM only; it imports the library build above.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'node20',
    // A 1 MiB young generation (V8 grows it to 16 MiB under load): an SMTP server's garbage is
    // short-lived and small, and the bigger space was most of the RSS that thousands of idle
    // connections held (bench workload 5: 8.1 → 4.9 KB per connection, same msg/s).
    // npm links the bin (the system reads this line; `env -S` needs coreutils ≥ 8.30 or macOS);
    // pnpm copies the flag into the shim it writes.
    banner: { js: '#!/usr/bin/env -S node --max-semi-space-size=1' },
  },
])
