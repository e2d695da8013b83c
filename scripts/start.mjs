// `pnpm start`: the main job. Runs the `postern` CLI on examples/config (127.0.0.1:2525,
// delivering into examples/Maildir). Extra arguments go to postern (e.g. --listen 127.0.0.1:2600).
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'

const cli = 'packages/smtpd/dist/cli.js'
if (!existsSync(cli)) {
  console.error('packages/smtpd is not built yet: run `pnpm build` first')
  process.exit(1)
}
// The node flags of the CLI's #! line, as its bin shim would pass them. Not the shim itself:
// on a fresh clone `pnpm install` runs before `pnpm build`, when there is no dist/cli.js to link,
// so node_modules/.bin/postern does not exist yet.
const shebang = readFileSync(cli, 'utf8').split('\n', 1)[0] ?? ''
const flags = /^#!\/usr\/bin\/env -S node(.*)$/.exec(shebang)?.[1]?.split(' ').filter(Boolean) ?? []
const child = spawn(
  process.execPath,
  [...flags, cli, '--config', 'examples/config', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
)
// A signal sent to this wrapper (kill, systemd, a test) reaches postern: SIGTERM drains it,
// SIGHUP reloads it, instead of leaving it running without its parent.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
