// `pnpm start`: the main job. Runs the `postern` CLI on examples/config when the engine is
// built; before the engine exists it loads examples/config with the core and lists the plugins.

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const cli = 'packages/smtpd/dist/cli.js'
if (existsSync(cli)) {
  const r = spawnSync(process.execPath, [cli, '--config', 'examples/config', ...process.argv.slice(2)], {
    stdio: 'inherit',
  })
  process.exit(r.status ?? 1)
}
const { inspectPlugins } = await import('@postern/core')
for (const p of await inspectPlugins({ configDir: 'examples/config' })) {
  const pkg = p.plugin.module?.packageName ?? '(in code)'
  console.log(
    `${p.plugin.line.instance}\t${pkg}\t${p.plugin.definition.core}\tcompatible: ${p.compatible ? 'yes' : 'no'}`,
  )
}
