// Python executor for `python-computation` tasks: runs untrusted code from a peer with no
// inherited environment, a wall-clock limit, rlimits (address space, file size, CPU time and, in
// the jail, processes) and capped output. With a JailPlan it runs inside the bubblewrap jail
// (jail.ts) and the deadline kills the jail's pid namespace; without one it runs on the host in a
// fresh directory, which only an operator's explicit tasks.unsafeHostExecution allows.

import { spawn } from 'node:child_process'
import { mkdtemp, rm, chmod, readdir, lstat, mkdir, copyFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { SwarmError } from '../../errors.ts'
import { jailArgs, type JailPlan } from './jail.ts'
import {
  JAIL_MAX_PROCESSES, PYTHON_CODE_BYTES, PYTHON_FILE_BYTES, PYTHON_MEMORY_MB, PYTHON_OUTPUT_BYTES,
  PYTHON_PROBE_TIMEOUT_MS, PYTHON_SANDBOX_PATH, PYTHON_TIMEOUT_MS
} from '../constants.ts'

export interface RunPythonOptions {
  /** Interpreter name or path (resolved once to its real executable). */
  python?: string
  timeoutMs?: number
  memoryMb?: number
  /** Cap for stdout and for stderr, each. */
  outputBytes?: number
  signal?: AbortSignal
  /** Run inside this jail (probeJail); without it the code runs on the host. */
  jail?: JailPlan
  /** The request's attachments (verified copies): the program finds them in ./attachments/NAME. */
  files?: Array<{ name: string, path: string }>
}

/**
 * Copies the attachments into `dir` under safe names: they come from a signed envelope but are
 * still a stranger's, so no paths and no clashes. Readable by the jail's unprivileged user.
 */
async function stageAttachments (dir: string, files: Array<{ name: string, path: string }>): Promise<void> {
  await mkdir(dir, { recursive: true })
  await chmod(dir, 0o755)
  const used = new Set<string>()
  for (const f of files) {
    let name = basename(f.name).replace(/^\.+/, '_') || 'attachment'
    while (used.has(name)) name = `_${name}`
    used.add(name)
    await copyFile(f.path, join(dir, name))
    await chmod(join(dir, name), 0o644)
  }
}

export interface PythonResult {
  stdout: string
  stderr: string
  /** null when the process was killed by a signal (timeout, or the kernel). */
  exitCode: number | null
  timedOut: boolean
  truncated: boolean
  durationMs: number
}

// The limits are set by the interpreter itself before it reads the task from stdin, so the same
// code path works wherever Python has `resource` (no util-linux `prlimit` needed). The task runs
// in a fresh globals dict, named <task> in tracebacks, with the preamble's frame cut off.
const PREAMBLE = `
import resource, sys, traceback
def _limit(which, value):
    hard = resource.getrlimit(which)[1]
    if hard != resource.RLIM_INFINITY: value = min(value, hard)
    resource.setrlimit(which, (value, value))
_limit(resource.RLIMIT_AS, int(sys.argv[1]))
_limit(resource.RLIMIT_FSIZE, int(sys.argv[2]))
_limit(resource.RLIMIT_CORE, 0)
_limit(resource.RLIMIT_CPU, int(sys.argv[3]))
if int(sys.argv[4]) > 0: _limit(resource.RLIMIT_NPROC, int(sys.argv[4]))
_src = sys.stdin.buffer.read()
sys.argv = ['<task>']
try:
    _code = compile(_src, '<task>', 'exec')
    del _src
    exec(_code, {'__name__': '__main__', '__builtins__': __builtins__})
except SystemExit:
    raise
except BaseException as e:
    traceback.print_exception(type(e), e, e.__traceback__.tb_next)
    sys.exit(1)
`

const PROBE = 'import sys, resource; assert sys.version_info[0] == 3; print(sys.executable)'

const resolved = new Map<string, Promise<string | undefined>>()

/**
 * The interpreter's real executable, or undefined if it is missing, not Python 3, or lacks the
 * `resource` module. Resolved once per name: the sandbox runs it by absolute path with an empty
 * environment, so shims (pyenv) that need the operator's PATH are looked through here.
 */
export async function resolvePython (python = 'python3'): Promise<string | undefined> {
  let p = resolved.get(python)
  if (p === undefined) {
    p = probe(python)
    resolved.set(python, p)
  }
  return await p
}

/** True if `python` can run tasks here (cached). */
export async function pythonAvailable (python = 'python3'): Promise<boolean> {
  return (await resolvePython(python)) !== undefined
}

async function probe (python: string): Promise<string | undefined> {
  return await new Promise((resolve) => {
    let out = ''
    // The probe runs our own fixed code, so the operator's environment (PATH, PYENV_*) is fine.
    const child = spawn(python, ['-I', '-c', PROBE], { stdio: ['ignore', 'pipe', 'ignore'], timeout: PYTHON_PROBE_TIMEOUT_MS })
    child.stdout.setEncoding('utf8').on('data', (s: string) => { if (out.length < 4096) out += s })
    child.once('error', () => { resolve(undefined) })
    child.once('close', (code) => {
      const exe = out.trim()
      resolve(code === 0 && exe.startsWith('/') ? exe : undefined)
    })
  })
}

/** Runs `code` under the limits above; resolves even on timeout (timedOut), rejects on abort. */
export async function runPython (code: string, options: RunPythonOptions = {}): Promise<PythonResult> {
  const { python = 'python3', timeoutMs = PYTHON_TIMEOUT_MS, memoryMb = PYTHON_MEMORY_MB, outputBytes = PYTHON_OUTPUT_BYTES, signal, jail, files = [] } = options
  if (Buffer.byteLength(code) > PYTHON_CODE_BYTES) {
    throw new SwarmError('too-large', `the program is larger than ${PYTHON_CODE_BYTES} bytes`)
  }
  throwIfAborted(signal)
  const limits = { timeoutMs, memoryMb, outputBytes, signal }
  // Beyond its wall-clock limit a task has no use for CPU; a second's margin keeps the kill ours.
  const rlimits = (nproc: number): string[] => [String(memoryMb * 1024 * 1024), String(PYTHON_FILE_BYTES), String(Math.ceil(timeoutMs / 1000) + 1), String(nproc)]
  if (jail !== undefined) {
    // attachments enter the jail read-only at ./attachments, bound over its scratch tmpfs
    const staged = files.length > 0 ? await mkdtemp(join(tmpdir(), 'swarmd-att-')) : undefined
    try {
      if (staged !== undefined) await stageAttachments(staged, files)
      // -S: the stdlib only (no site-packages are in the jail anyway)
      const argv = [jail.layout.exe, '-I', '-S', '-c', PREAMBLE, ...rlimits(JAIL_MAX_PROCESSES)]
      return await execute({
        file: jail.bwrap,
        args: jailArgs(jail, argv, { attachments: staged }),
        env: {},
        ...(jail.uid === undefined ? {} : { uid: jail.uid, gid: jail.gid }),
        jailed: true
      }, code, limits)
    } finally {
      if (staged !== undefined) await rm(staged, { recursive: true, force: true }).catch(() => {})
    }
  }
  const exe = await resolvePython(python)
  if (exe === undefined) throw new SwarmError('python-unavailable', `no usable Python 3 interpreter "${python}" on this node`)
  throwIfAborted(signal)

  const dir = await mkdtemp(join(tmpdir(), 'swarmd-py-'))
  try {
    if (files.length > 0) await stageAttachments(join(dir, 'attachments'), files)
    // RLIMIT_NPROC on the host would count every process of the daemon's user: not set there.
    return await execute({
      file: exe,
      args: ['-I', '-c', PREAMBLE, ...rlimits(0)],
      cwd: dir,
      // Nothing of the daemon's environment (keys, tokens) reaches the task.
      env: { PATH: PYTHON_SANDBOX_PATH, HOME: dir, TMPDIR: dir, LANG: 'C.UTF-8' },
      jailed: false
    }, code, limits)
  } finally {
    await removeDir(dir)
  }
}

interface Launch {
  file: string
  args: string[]
  env: Record<string, string>
  cwd?: string
  uid?: number
  gid?: number
  /** bwrap with --info-fd 3: the pid namespace's init is read from fd 3 and killed at the end. */
  jailed: boolean
}

interface ExecuteLimits { timeoutMs: number, memoryMb: number, outputBytes: number, signal?: AbortSignal }

async function execute (launch: Launch, code: string, limits: ExecuteLimits): Promise<PythonResult> {
  const started = performance.now()
  const stdout = new CappedBuffer(limits.outputBytes)
  const stderr = new CappedBuffer(limits.outputBytes)

  return await new Promise((resolve, reject) => {
    const child = spawn(launch.file, launch.args, {
      ...(launch.cwd === undefined ? {} : { cwd: launch.cwd }),
      env: launch.env,
      stdio: launch.jailed ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
      ...(launch.uid === undefined ? {} : { uid: launch.uid, gid: launch.gid }),
      // Own process group, so a kill also reaches whatever the task forked (on the host).
      detached: true
    })
    let timedOut = false
    let aborted = false
    let exitCode: number | null = null
    // The jail's pid-namespace init (host pid): killing it kills every process in the namespace,
    // including a setsid'd daemon the task left behind, wherever it moved its process group.
    let nsInit: number | undefined
    if (launch.jailed) {
      let info = ''
      const fd3 = child.stdio[3] as NodeJS.ReadableStream | null
      fd3?.setEncoding('utf8')
      fd3?.on('data', (s: string) => {
        if (info.length > 4096) return
        info += s
        const m = /"child-pid"\s*:\s*(\d+)/.exec(info)
        if (m !== null) nsInit = Number(m[1])
      })
      fd3?.on('error', () => {})
    }

    const killAll = (): void => {
      if (nsInit !== undefined) { try { process.kill(nsInit, 'SIGKILL') } catch { /* namespace already gone */ } }
      if (child.pid === undefined) return
      try { process.kill(-child.pid, 'SIGKILL') } catch { /* group already gone */ }
    }
    const timer = setTimeout(() => { timedOut = true; killAll() }, limits.timeoutMs)
    const onAbort = (): void => { aborted = true; killAll() }
    limits.signal?.addEventListener('abort', onAbort, { once: true })
    let straggler: NodeJS.Timeout | undefined

    const finish = (): void => {
      clearTimeout(timer)
      clearTimeout(straggler)
      limits.signal?.removeEventListener('abort', onAbort)
    }

    child.stdout?.on('data', (b: Buffer) => { stdout.push(b) })
    child.stderr?.on('data', (b: Buffer) => { stderr.push(b) })
    // The task may exit without reading its stdin; that EPIPE is not our failure.
    child.stdin?.on('error', () => {})
    child.stdin?.end(code)

    child.once('error', (err) => {
      finish()
      reject(new SwarmError('python-failed', `cannot start ${launch.file}: ${err.message}`, { cause: err }))
    })
    child.once('exit', (code) => {
      exitCode = code
      // Children left behind die with the group (host) or the namespace (jail); one that escaped
      // the group could hold the pipes open, so stop waiting for them after a moment.
      killAll()
      straggler = setTimeout(() => { child.stdout?.destroy(); child.stderr?.destroy(); (child.stdio[3] as any)?.destroy?.() }, 1000)
    })
    child.once('close', () => {
      finish()
      if (aborted) {
        reject(abortedError())
        return
      }
      resolve({
        stdout: stdout.text(),
        stderr: stderr.text(),
        exitCode,
        timedOut,
        truncated: stdout.truncated || stderr.truncated,
        durationMs: Math.round(performance.now() - started)
      })
    })
  })
}

function abortedError (): SwarmError { return new SwarmError('aborted', 'the python task was aborted') }

function throwIfAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortedError()
}

/** Keeps the first `cap` bytes of a stream and remembers whether more came. */
class CappedBuffer {
  private readonly chunks: Buffer[] = []
  private size = 0
  truncated = false
  private readonly cap: number

  constructor (cap: number) { this.cap = cap }

  push (b: Buffer): void {
    const room = this.cap - this.size
    if (b.length > room) this.truncated = true
    if (room <= 0) return
    const part = b.length > room ? b.subarray(0, room) : b
    this.chunks.push(part)
    this.size += part.length
  }

  /** A cut inside a multi-byte character decodes to U+FFFD rather than failing. */
  text (): string { return Buffer.concat(this.chunks).toString('utf8') }
}

/** The task may have left read-only or mode-000 directories; make them removable first. */
async function removeDir (dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true })
  } catch {
    await makeWritable(dir).catch(() => {})
    await rm(dir, { recursive: true, force: true }).catch(() => {})
  }
}

async function makeWritable (dir: string): Promise<void> {
  await chmod(dir, 0o700)
  for (const name of await readdir(dir)) {
    const p = join(dir, name)
    if ((await lstat(p)).isDirectory()) await makeWritable(p)
  }
}
