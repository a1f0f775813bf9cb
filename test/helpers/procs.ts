// Finds the processes a test run started, whatever started them (a detached daemon, a restart
// after kill -9, `swarm start`, a child of a child): each carries a marker in its environment,
// inherited by every descendant, and /proc/<pid>/environ names it even after its parent is gone.

import { readdirSync, readFileSync } from 'node:fs'

/** Marks a test-file process; every CLI and daemon the harness spawns inherits it. */
export const OWNER_VAR = 'SWARMD_TEST_OWNER'
/** Marks a whole `npm test` run (set by scripts/test.ts). */
export const RUN_VAR = 'SWARMD_TEST_RUN'

/** Pids (other than this process) whose environment holds `name=value`. */
export function markedPids (name: string, value: string): number[] {
  const needle = Buffer.from(`${name}=${value}\0`)
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const env = readFileSync(`/proc/${pid}/environ`)
      if (env.includes(needle)) pids.push(pid)
    } catch {} // gone, or not ours to read
  }
  return pids
}

/** SIGKILLs every process marked `name=value`; returns how many there were. */
export function killMarked (name: string, value: string): number {
  const pids = markedPids(name, value)
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch {} }
  return pids.length
}
