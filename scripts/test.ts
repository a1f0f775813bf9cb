// `npm test`: the whole suite. Unit, integration and end-to-end tests with vitest, then the
// browser tests in real Chromium inside a loopback-only network namespace (Chromium is
// installed first when missing). Ends with one line: `N passed, N failed`.

import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { killMarked, RUN_VAR } from '../test/helpers/procs.ts'

const root = resolve(import.meta.dirname, '..')
const out = join(root, 'test-artifacts')
mkdirSync(out, { recursive: true })
// Run vitest's entry with this (pinned) Node: its .bin shim would pick whatever node is on PATH.
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const args = process.argv.slice(2)

interface Tally { passed: number, failed: number }

// Every process a run starts inherits this marker; whatever still carries it when vitest has
// exited outlived its test, and fails the run (after it is killed).
const run = randomUUID()

function runVitest (label: string, prefix: string[], extra: string[]): Tally {
  const report = join(out, `vitest-${label}.json`)
  rmSync(report, { force: true })
  const cmd = [...prefix, process.execPath, vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra]
  const res = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', cwd: root, env: { ...process.env, [RUN_VAR]: run, SWARM_MDNS: 'false' } })
  const leftovers = killMarked(RUN_VAR, run)
  if (leftovers > 0) console.error(`${label}: ${leftovers} process(es) started by the tests outlived them (killed now); counted as a failure`)
  if (!existsSync(report)) {
    console.error(`${label}: vitest produced no report (exit ${String(res.status)})`)
    return { passed: 0, failed: 1 }
  }
  const json = JSON.parse(readFileSync(report, 'utf8'))
  // A file that failed to load counts as a failure even though it ran no test.
  const failedSuites = (json.testResults as any[]).filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length
  return { passed: json.numPassedTests, failed: json.numFailedTests + failedSuites + (res.status !== 0 && json.numFailedTests === 0 && failedSuites === 0 ? 1 : 0) + (leftovers > 0 ? 1 : 0) }
}

const total: Tally = { passed: 0, failed: 0 }
const add = (t: Tally): void => { total.passed += t.passed; total.failed += t.failed }

// System packages first (Chromium, bubblewrap, iproute2, iptables): the jail and simulated-network
// tests in the main suite need them as much as the browser suite does.
const setup = spawnSync('bash', [join(root, 'scripts', 'setup-system.sh')], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root })
if (setup.status !== 0) console.error('setup-system: some system packages could not be installed; tests that need them will fail')

if (args.length > 0) {
  add(runVitest('selected', [], args))
} else {
  add(runVitest('main', [], []))
  if (process.env.SWARM_SKIP_BROWSER === '1') {
    console.error('browser suite skipped (SWARM_SKIP_BROWSER=1)')
  } else if (setup.status !== 0) {
    console.error('browser suite: Chromium could not be installed')
    total.failed++
  } else {
    add(runVitest('browser', ['bash', join(root, 'scripts', 'in-netns.sh')], ['--config', 'vitest.browser.config.ts']))
  }
}

console.log(`${total.passed} passed, ${total.failed} failed`)
process.exit(total.failed === 0 ? 0 : 1)
