// Python executor for `python-computation` tasks: runs untrusted code from a peer in a fresh
// empty directory with no inherited environment, a wall-clock limit, an address-space limit and
// capped output. It bounds what a task can cost; it is not a jail against a hostile root user
// (see docs/tasks.md: run the daemon unprivileged, or in a container, for isolation).

import { spawn } from 'node:child_process'
import { mkdtemp, rm, chmod, readdir, lstat, mkdir, copyFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { SwarmError } from '../../errors.ts'
import {
  PYTHON_CODE_BYTES, PYTHON_FILE_BYTES, PYTHON_MEMORY_MB, PYTHON_OUTPUT_BYTES,
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
  /** The request's attachments (verified copies): the program finds them in ./attachments/NAME. */
  files?: Array<{ name: string, path: string }>
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
  const { python = 'python3', timeoutMs = PYTHON_TIMEOUT_MS, memoryMb = PYTHON_MEMORY_MB, outputBytes = PYTHON_OUTPUT_BYTES, signal } = options
  if (Buffer.byteLength(code) > PYTHON_CODE_BYTES) {
    throw new SwarmError('too-large', `the program is larger than ${PYTHON_CODE_BYTES} bytes`)
  }
  throwIfAborted(signal)
  const exe = await resolvePython(python)
  if (exe === undefined) throw new SwarmError('python-unavailable', `no usable Python 3 interpreter "${python}" on this node`)
  throwIfAborted(signal)

  const dir = await mkdtemp(join(tmpdir(), 'swarmd-py-'))
  try {
    if (options.files !== undefined && options.files.length > 0) {
      await mkdir(join(dir, 'attachments'))
      const used = new Set<string>()
      for (const f of options.files) {
        // names come from a signed envelope but are still a stranger's: no paths, no clashes
        let name = basename(f.name).replace(/^\.+/, '_') || 'attachment'
        while (used.has(name)) name = `_${name}`
        used.add(name)
        await copyFile(f.path, join(dir, 'attachments', name))
      }
    }
    return await execute(exe, code, dir, { timeoutMs, memoryMb, outputBytes, signal })
  } finally {
    await removeDir(dir)
  }
}

interface ExecuteLimits { timeoutMs: number, memoryMb: number, outputBytes: number, signal?: AbortSignal }

async function execute (exe: string, code: string, dir: string, limits: ExecuteLimits): Promise<PythonResult> {
  const started = performance.now()
  const stdout = new CappedBuffer(limits.outputBytes)
  const stderr = new CappedBuffer(limits.outputBytes)
  const memoryBytes = String(limits.memoryMb * 1024 * 1024)

  return await new Promise((resolve, reject) => {
    const child = spawn(exe, ['-I', '-c', PREAMBLE, memoryBytes, String(PYTHON_FILE_BYTES)], {
      cwd: dir,
      // Nothing of the daemon's environment (keys, tokens) reaches the task.
      env: { PATH: PYTHON_SANDBOX_PATH, HOME: dir, TMPDIR: dir, LANG: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group, so a kill also reaches whatever the task forked.
      detached: true
    })
    let timedOut = false
    let aborted = false
    let exitCode: number | null = null

    const killGroup = (): void => {
      if (child.pid === undefined) return
      try { process.kill(-child.pid, 'SIGKILL') } catch { /* group already gone */ }
    }
    const timer = setTimeout(() => { timedOut = true; killGroup() }, limits.timeoutMs)
    const onAbort = (): void => { aborted = true; killGroup() }
    limits.signal?.addEventListener('abort', onAbort, { once: true })
    let straggler: NodeJS.Timeout | undefined

    const finish = (): void => {
      clearTimeout(timer)
      clearTimeout(straggler)
      limits.signal?.removeEventListener('abort', onAbort)
    }

    child.stdout.on('data', (b: Buffer) => { stdout.push(b) })
    child.stderr.on('data', (b: Buffer) => { stderr.push(b) })
    // The task may exit without reading its stdin; that EPIPE is not our failure.
    child.stdin.on('error', () => {})
    child.stdin.end(code)

    child.once('error', (err) => {
      finish()
      reject(new SwarmError('python-failed', `cannot start ${exe}: ${err.message}`, { cause: err }))
    })
    child.once('exit', (code) => {
      exitCode = code
      // Children left behind in the group die with it; one that escaped the group could hold
      // the pipes open, so stop waiting for them after a moment.
      killGroup()
      straggler = setTimeout(() => { child.stdout.destroy(); child.stderr.destroy() }, 1000)
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
