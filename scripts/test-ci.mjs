// The one test command (README and .ci/run): build every package, lint, typecheck once at the
// root, then run every test in one vitest process, ending with a plain "N passed, N failed" line.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'

const env = { ...process.env, NO_COLOR: '1', TURBO_TELEMETRY_DISABLED: '1' }
function step(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env })
  return r.status ?? 1
}

let failedSteps = 0
if (process.env.POSTERN_SKIP_PEERS !== '1') failedSteps += step('bash', ['scripts/peers/install.sh']) ? 1 : 0
failedSteps += step('pnpm', ['exec', 'turbo', 'run', 'build']) ? 1 : 0
failedSteps += step('pnpm', ['exec', 'biome', 'check', '.']) ? 1 : 0
failedSteps += step('pnpm', ['exec', 'tsc', '-p', 'tsconfig.json']) ? 1 : 0

const report = '.vitest-report.json'
fs.rmSync(report, { force: true })
let code = step('pnpm', [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
])
let passed = 0
let failed = 0
let skipped = 0
if (fs.existsSync(report)) {
  const j = JSON.parse(fs.readFileSync(report, 'utf8'))
  passed = j.numPassedTests
  failed = j.numFailedTests
  skipped = j.numPendingTests + j.numTodoTests
  if (j.numTotalTests === 0) code = 1
} else code = 1
// A failed build, lint or typecheck step counts as one failure each, so the summary line never
// reads green while the exit code is red.
failed += failedSteps
if (failedSteps) code = 1
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(code)
