// Prints the README's package table from each package.json (name, plugin name, description).
import { existsSync, readdirSync, readFileSync } from 'node:fs'

const rows = []
for (const dir of ['core', ...readdirSync('packages').map((d) => `packages/${d}`)]) {
  const file = `${dir}/package.json`
  if (!existsSync(file)) continue
  const pkg = JSON.parse(readFileSync(file, 'utf8'))
  if (pkg.private) continue
  const plugin = pkg.postern?.plugin ? `\`${pkg.postern.plugin}\`` : ''
  const aliases = (pkg.postern?.aliases ?? []).map((a) => `\`${a}\``).join(', ')
  const what = (pkg.description ?? '').replace(/^Postern (?:queue )?plugin: /, '').replace(/\|/g, '\\|')
  rows.push(`| [\`${pkg.name}\`](${dir}/README.md) | ${plugin}${aliases ? ` (${aliases})` : ''} | ${what} |`)
}
console.log('| package | plugin name (aliases) | what |\n|---|---|---|')
console.log(rows.join('\n'))
