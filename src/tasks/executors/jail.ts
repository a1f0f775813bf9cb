// The bubblewrap jail for python-computation: new user, pid, net, ipc, uts and mount namespaces;
// a read-only root holding only the interpreter, its stdlib and their shared libraries; a
// bounded tmpfs scratch directory as cwd; read-only /dev; no network at all; no further user
// namespaces; its own session; killed with its parent. As root, bwrap itself runs as an
// unprivileged uid (JAIL_UID), so RLIMIT_NPROC binds and the host's root-owned files stay shut.
// Why bubblewrap and not pyodide: README "Dependency notes" and docs/tasks.md "The jail".

import { spawn } from 'node:child_process'
import { access, constants as fsc } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import {
  BWRAP_PATHS, JAIL_FALLBACK_PYTHONS, JAIL_GID, JAIL_PROBE_TIMEOUT_MS, JAIL_REPROBE_MS, JAIL_SCRATCH, JAIL_SCRATCH_BYTES, JAIL_UID,
  PYTHON_SANDBOX_PATH
} from '../constants.ts'
import { pythonLayout, type PythonLayout } from './python-layout.ts'

export type IsolationClass = 'bwrap' | 'wasm' | 'none'

export interface JailPlan {
  bwrap: string
  layout: PythonLayout
  /** Set when the daemon is root: the uid/gid bwrap is started as. */
  uid?: number
  gid?: number
}

export type JailProbe =
  | { ok: true, plan: JailPlan }
  | { ok: false, reason: string }

export interface JailLimits {
  scratchBytes?: number
  /** A host directory of the task's attachments, bound read-only at <scratch>/attachments. */
  attachments?: string
}

/**
 * bwrap's argv (after the bwrap path) for running `argv` in the jail. Pure: the same plan gives
 * the same jail. `--info-fd 3` reports the pid of the namespace's init, which the executor kills
 * at the deadline: every process of the task dies with its pid namespace.
 */
export function jailArgs (plan: JailPlan, argv: readonly string[], limits: JailLimits = {}): string[] {
  const args = [
    '--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session',
    '--hostname', 'jail', '--info-fd', '3'
  ]
  // bwrap maps only the user it runs as; --uid keeps the task away from uid 0 even inside.
  args.push('--uid', String(JAIL_UID), '--gid', String(JAIL_GID))
  for (const p of plan.layout.paths) args.push('--ro-bind', p, p)
  args.push(
    '--proc', '/proc',
    '--dev', '/dev', '--remount-ro', '/dev',
    '--size', String(limits.scratchBytes ?? JAIL_SCRATCH_BYTES), '--tmpfs', JAIL_SCRATCH,
    ...(limits.attachments === undefined ? [] : ['--ro-bind', limits.attachments, `${JAIL_SCRATCH}/attachments`]),
    '--remount-ro', '/',
    '--chdir', JAIL_SCRATCH,
    '--clearenv',
    '--setenv', 'PATH', PYTHON_SANDBOX_PATH,
    '--setenv', 'HOME', JAIL_SCRATCH,
    '--setenv', 'TMPDIR', JAIL_SCRATCH,
    '--setenv', 'LANG', 'C.UTF-8',
    '--'
  )
  return [...args, ...argv]
}

/** The first executable bwrap: the usual places, then PATH. */
export async function findBwrap (env: Record<string, string | undefined> = process.env): Promise<string | undefined> {
  const candidates = [...BWRAP_PATHS, ...(env.PATH ?? '').split(delimiter).filter((d) => d.startsWith('/')).map((d) => join(d, 'bwrap'))]
  for (const c of candidates) {
    try { await access(c, fsc.X_OK); return c } catch { /* next */ }
  }
  return undefined
}

const probes = new Map<string, { at: number, result: Promise<JailProbe> }>()

/**
 * Whether the jail works here for `python`: bwrap is installed, namespaces can be made, and the
 * interpreter runs inside as the jail user. The configured default `python3` may live where the
 * jail user cannot reach (pyenv under /root); then a system python3 is tried. A working jail is
 * cached for good; a failure (perhaps a probe that timed out on a loaded machine, or bwrap not
 * yet installed) is probed again after JAIL_REPROBE_MS, so capabilities recover on their own.
 */
export async function probeJail (python = 'python3'): Promise<JailProbe> {
  const now = Date.now()
  let p = probes.get(python)
  if (p !== undefined && now - p.at > JAIL_REPROBE_MS && !(await p.result).ok) p = undefined
  if (p === undefined) {
    p = { at: now, result: probeUncached(python) }
    probes.set(python, p)
  }
  return await p.result
}

async function probeUncached (python: string): Promise<JailProbe> {
  const bwrap = await findBwrap()
  if (bwrap === undefined) return { ok: false, reason: 'bubblewrap (bwrap) is not installed' }
  const root = process.getuid?.() === 0
  const ids = root ? { uid: JAIL_UID, gid: JAIL_GID } : {}
  const names = python === 'python3' ? [python, ...JAIL_FALLBACK_PYTHONS] : [python]
  const reasons: string[] = []
  for (const name of names) {
    const layout = await pythonLayout(name)
    if (layout === undefined) { reasons.push(`${name}: not a usable Python 3`); continue }
    const plan: JailPlan = { bwrap, layout, ...ids }
    const why = await tryJail(plan)
    if (why === undefined) return { ok: true, plan }
    reasons.push(`${name}: ${why}`)
  }
  return { ok: false, reason: reasons.join('; ') }
}

/** Runs a fixed check in the jail: undefined if it works, else what went wrong. */
async function tryJail (plan: JailPlan): Promise<string | undefined> {
  // Inside: the expected user, and no way out to the network (only a loopback, down).
  const check = 'import os, socket\nassert os.getuid() == %d\ns = socket.socket()\ns.settimeout(1)\nassert s.connect_ex(("1.1.1.1", 53)) != 0\nprint("jail-ok")'.replace('%d', String(JAIL_UID))
  return await new Promise((resolve) => {
    let out = ''
    let err = ''
    const child = spawn(plan.bwrap, jailArgs(plan, [plan.layout.exe, '-I', '-S', '-c', check]), {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: {},
      timeout: JAIL_PROBE_TIMEOUT_MS,
      ...(plan.uid === undefined ? {} : { uid: plan.uid, gid: plan.gid })
    })
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { if (out.length < 4096) out += s })
    child.stderr?.setEncoding('utf8').on('data', (s: string) => { if (err.length < 4096) err += s })
    child.once('error', (e) => { resolve(e.message) })
    child.once('close', (code) => {
      resolve(code === 0 && out.trim() === 'jail-ok' ? undefined : (err.trim().split('\n').pop() ?? `exit ${String(code)}`).slice(0, 300))
    })
  })
}

/** Forgets cached probes (tests, and a re-detection after the operator installed bwrap). */
export function forgetJailProbes (): void { probes.clear() }
