// What a jailed interpreter needs to see: its executable, its standard library and the system
// library directories its shared libraries come from — nothing else of the host (no /etc, /home,
// /root, /var, /tmp, no site-packages). Found once per interpreter by asking it (the probe is our
// own fixed code) and by one `ldd` on the executable. The stdlib's extension modules (_ssl,
// _sqlite3, …) load their libraries from those same directories; running ldd on each of them
// cost ~4 s here, so the directories are bound whole (shared code, no data).

import { execFile } from 'node:child_process'
import { realpath } from 'node:fs/promises'
import { dirname } from 'node:path'
import { JAIL_PROBE_TIMEOUT_MS } from '../constants.ts'

export interface PythonLayout {
  /** The real executable (symlinks resolved), run by this path inside the jail. */
  exe: string
  /** Files and directories bound read-only at the same path inside the jail. */
  paths: string[]
}

// -S: no site-packages, so the interpreter's own layout is all that is reported.
const LAYOUT_PROBE = `
import sys, sysconfig, json
assert sys.version_info[0] == 3
import resource
dyn = [p for p in sys.path if p.endswith('lib-dynload')]
libdir = sysconfig.get_config_var('LIBDIR') or ''
ld = sysconfig.get_config_var('LDLIBRARY') or ''
print(json.dumps({'exe': sys.executable, 'stdlib': sysconfig.get_path('stdlib'), 'platstdlib': sysconfig.get_path('platstdlib'), 'dynload': dyn, 'zip': [p for p in sys.path if p.endswith('.zip')], 'libpython': libdir + '/' + ld if libdir and ld.endswith('.so') else ''}))
`

async function run (file: string, args: string[], timeoutMs = JAIL_PROBE_TIMEOUT_MS): Promise<string | undefined> {
  return await new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' }, (err, stdout) => {
      resolve(err === null ? stdout : undefined)
    })
  })
}

/** The layout of `python` (a name on PATH or a path), or undefined if it is not a usable Python 3. */
export async function pythonLayout (python: string): Promise<PythonLayout | undefined> {
  const out = await run(python, ['-I', '-S', '-c', LAYOUT_PROBE])
  if (out === undefined) return undefined
  let info: { exe: string, stdlib: string, platstdlib: string, dynload: string[], zip: string[], libpython: string }
  try { info = JSON.parse(out.trim().split('\n').pop() ?? '') } catch { return undefined }
  if (typeof info.exe !== 'string' || !info.exe.startsWith('/')) return undefined
  const exe = await realpath(info.exe).catch(() => undefined)
  if (exe === undefined) return undefined
  const dirs = new Set<string>()
  for (const p of [info.stdlib, info.platstdlib, ...info.dynload, ...info.zip]) {
    if (typeof p === 'string' && p.startsWith('/')) { const r = await realpath(p).catch(() => undefined); if (r !== undefined) dirs.add(r) }
  }
  const objects = [exe]
  if (info.libpython !== '') { const r = await realpath(info.libpython).catch(() => undefined); if (r !== undefined) objects.push(r) }
  const libs = await sharedLibraries(objects)
  if (libs === undefined) return undefined
  // the loader's own directory (/lib64) holds only the loader: bind that file, not the directory
  const loader = libs.filter((l) => /\/ld-linux[^/]*\.so/.test(l) || /\/ld-musl[^/]*\.so/.test(l))
  const libDirs = libs.filter((l) => !loader.includes(l) && !objects.includes(l)).map((l) => dirname(l))
  const all = [...new Set([exe, ...objects, ...dirs, ...loader, ...libDirs])].sort()
  // a path inside another bound one is there already (sorted: a parent comes before its children)
  return { exe, paths: all.filter((p) => !all.some((q) => q !== p && p.startsWith(q + '/'))) }
}

/**
 * The shared libraries `objects` load (by the path the loader looks them up at, and, when that
 * is a symlink, its target too), from one `ldd` run. Undefined when ldd is missing or fails on
 * the executable itself; an extension module it cannot resolve simply will not import.
 */
export async function sharedLibraries (objects: string[]): Promise<string[] | undefined> {
  const out = await run('ldd', objects)
  if (out === undefined) {
    // ldd exits non-zero if any one object is not dynamic (e.g. a static module): retry the exe alone
    const alone = await run('ldd', [objects[0]])
    if (alone === undefined) return undefined
    return await parseLdd(alone)
  }
  return await parseLdd(out)
}

/** `libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x…)` and `/lib64/ld-linux-x86-64.so.2 (0x…)`. */
export async function parseLdd (text: string): Promise<string[]> {
  const found = new Set<string>()
  for (const line of text.split('\n')) {
    const m = /(?:=>\s*)?(\/[^\s()]+)\s+\(0x[0-9a-f]+\)/.exec(line)
    if (m === null) continue
    found.add(m[1])
    const real = await realpath(m[1]).catch(() => undefined)
    if (real !== undefined) found.add(real)
  }
  return [...found]
}
