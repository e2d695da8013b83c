// `pnpm start`: the main job. Runs the `postern` CLI on examples/config (127.0.0.1:2525,
// delivering into examples/Maildir). Extra arguments go to postern (e.g. --listen 127.0.0.1:2600).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const cli = 'packages/smtpd/dist/cli.js'
if (!existsSync(cli)) {
  console.error('packages/smtpd is not built yet: run `pnpm build` first')
  process.exit(1)
}
// Through the bin shim pnpm installed, as an admin runs it (with the node flags of its #! line).
const r = spawnSync('node_modules/.bin/postern', ['--config', 'examples/config', ...process.argv.slice(2)], {
  stdio: 'inherit',
})
process.exit(r.status ?? 1)
