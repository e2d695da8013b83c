// Adds every package under packages/ to the root devDependencies (workspace:*), so running
// `postern` from the repo root resolves every workspace plugin by name, as an installed site would.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'

const root = JSON.parse(readFileSync('package.json', 'utf8'))
const deps = { ...root.devDependencies }
for (const dir of readdirSync('packages')) {
  const file = `packages/${dir}/package.json`
  if (!existsSync(file)) continue
  const pkg = JSON.parse(readFileSync(file, 'utf8'))
  if (pkg.name && !pkg.private) deps[pkg.name] = 'workspace:*'
}
root.devDependencies = Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)))
writeFileSync('package.json', `${JSON.stringify(root, null, 2)}\n`)
