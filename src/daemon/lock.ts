// One daemon per home. proper-lockfile holds `daemon.lock` (an mkdir lock refreshed every
// second, stale after 3 s), and daemon.pid says who holds it. A lock whose pid is dead was
// left by a killed daemon: we wait out its staleness and take it over.

import lockfile from 'proper-lockfile'
import { readFileSync } from 'node:fs'
import { readFile, writeFile, unlink } from 'node:fs/promises'
import { AlreadyRunningError, SwarmError } from '../errors.ts'
import type { HomePaths } from '../config/paths.ts'

const STALE_MS = 3000
const UPDATE_MS = 1000

export interface HomeLock {
  release: () => Promise<void>
}

export async function readPid (paths: HomePaths): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(paths.pid, 'utf8')).trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

export function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err: any) {
    return err.code === 'EPERM'
  }
  return !exited(pid)
}

/**
 * An exited process that its parent has not reaped yet (a zombie) still answers kill(pid, 0).
 * A detached daemon's parent is init, and a container's init may reap only every few seconds:
 * `swarm stop` would wait that long for a daemon that has already exited (Linux: /proc; elsewhere
 * a zombie counts as alive, as before).
 */
function exited (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // pid (comm) STATE …: comm may hold spaces and parentheses, the state follows the last ')'
    const state = stat.charAt(stat.lastIndexOf(')') + 2)
    return state === 'Z' || state === 'X'
  } catch {
    return false
  }
}

export async function acquireHomeLock (paths: HomePaths, onCompromised: (err: Error) => void): Promise<HomeLock> {
  const deadline = Date.now() + STALE_MS + 2000
  for (;;) {
    try {
      const release = await lockfile.lock(paths.home, {
        lockfilePath: paths.lock,
        stale: STALE_MS,
        update: UPDATE_MS,
        realpath: false,
        onCompromised
      })
      await writeFile(paths.pid, `${process.pid}\n`)
      return {
        release: async () => {
          await unlink(paths.pid).catch(() => {})
          await release().catch(() => {})
        }
      }
    } catch (err: any) {
      if (err.code !== 'ELOCKED') {
        throw new SwarmError('home-unwritable', `cannot lock home ${paths.home}: ${err.message as string}`)
      }
      const pid = await readPid(paths)
      if (pid !== undefined && pid !== process.pid && pidAlive(pid)) throw new AlreadyRunningError(pid, paths.home)
      // Holder is dead (or never wrote its pid): the lock goes stale within STALE_MS.
      if (Date.now() > deadline) throw new AlreadyRunningError(pid, paths.home)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}
