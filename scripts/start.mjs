// `pnpm start`: the main job. Runs the `postern` CLI on examples/config (127.0.0.1:2525,
// delivering into examples/Maildir). Extra arguments go to postern (e.g. --listen 127.0.0.1:2600).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

const cli = 'packages/smtpd/dist/cli.js'
if (!existsSync(cli)) {
  console.error('packages/smtpd is not built yet: run `pnpm build` first')
  process.exit(1)
}
// Through the bin shim pnpm installed, as an admin runs it (with the node flags of its #! line).
const child = spawn('node_modules/.bin/postern', ['--config', 'examples/config', ...process.argv.slice(2)], {
  stdio: 'inherit',
})
// A signal sent to this wrapper (kill, systemd, a test) reaches postern: SIGTERM drains it,
// SIGHUP reloads it, instead of leaving it running without its parent.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
