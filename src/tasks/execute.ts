// Runs one accepted task with the executor of its type, inside the time left before its
// deadline, and shapes the result as the task-response carries it. The data of each type is
// checked before the task is queued, so a malformed request is refused, not run.

import { SwarmError } from '../errors.ts'
import { runPython } from './executors/python.ts'
import { analyzeFile } from './executors/file-analysis.ts'
import { generateCode, type OpenAIEndpoint } from './executors/code-generation.ts'
import { CODEGEN_TIMEOUT_MS } from './constants.ts'
import type { PythonExecutor } from './capabilities.ts'

export interface ExecutorSettings {
  python: string
  /** The operator's own limit per task (tasks.timeoutSec), ms. */
  timeoutMs: number
  memoryMb: number
  outputBytes: number
  safePrefixes: string[]
  endpoints: OpenAIEndpoint[]
  /** Where code-generation looks up `apiKeyEnv` names. */
  env: Record<string, string | undefined>
  /** How python runs here (the jail, or the host when the operator allowed it); see capabilities.ts. */
  pythonExecutor?: PythonExecutor
}

const badRequest = (message: string): SwarmError => new SwarmError('bad-request', message)

/** null if `data` has the shape `type` needs, else a `bad-request` error. */
export function checkTaskData (type: string, data: Record<string, unknown>): SwarmError | null {
  switch (type) {
    case 'python-computation':
      return typeof data.code === 'string' && data.code.trim() !== '' ? null : badRequest('python-computation needs data.code, a non-empty string')
    case 'file-analysis':
      return typeof data.path === 'string' && data.path !== '' ? null : badRequest('file-analysis needs data.path, a non-empty string')
    case 'code-generation':
      if (typeof data.prompt !== 'string' || data.prompt.trim() === '') return badRequest('code-generation needs data.prompt, a non-empty string')
      if (data.language !== undefined && (typeof data.language !== 'string' || data.language.length > 64)) return badRequest('code-generation data.language must be a short string')
      return null
    default:
      return null
  }
}

/**
 * Runs the task; `timeoutMs` is the time left before the request's deadline (the operator's
 * tasks.timeoutSec caps it). Rejects with a SwarmError: `timeout` when the task ran past its
 * limit and was killed, the executor's own codes (path-refused, llm-unavailable, …), `aborted`.
 */
export async function executeTask (type: string, data: Record<string, unknown>, settings: ExecutorSettings, opts: { signal: AbortSignal, timeoutMs: number, remote?: boolean, files?: Array<{ name: string, path: string }> }): Promise<Record<string, unknown>> {
  const limitMs = Math.max(1, Math.min(settings.timeoutMs, opts.timeoutMs))
  switch (type) {
    case 'python-computation': {
      const py = settings.pythonExecutor
      // A peer's code runs only in the jail, or on the host when the operator said so (not as root).
      if (opts.remote === true && py?.usable !== true) throw new SwarmError('not-capable', 'this node has no jail for python tasks')
      const r = await runPython(data.code as string, { python: settings.python, timeoutMs: limitMs, memoryMb: settings.memoryMb, outputBytes: settings.outputBytes, signal: opts.signal, jail: py?.jail, files: opts.files })
      if (r.timedOut) {
        throw new SwarmError('timeout', `the task ran past its ${formatSec(limitMs)} time limit and was killed`, { detail: { limitMs } })
      }
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, truncated: r.truncated, durationMs: r.durationMs }
    }
    case 'file-analysis': {
      const a = await analyzeFile(data.path as string, settings.safePrefixes, { signal: opts.signal, timeoutMs: limitMs })
      return { ...a }
    }
    case 'code-generation': {
      const request = { prompt: data.prompt as string, language: data.language as string | undefined }
      const g = await generateCode(request, settings.endpoints, { env: settings.env, signal: opts.signal, timeoutMs: Math.min(CODEGEN_TIMEOUT_MS, limitMs) })
      return { code: g.code, provider: g.provider }
    }
    default:
      throw new SwarmError('unsupported-task', `unknown task type ${JSON.stringify(type)}`)
  }
}

function formatSec (ms: number): string {
  const s = ms / 1000
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`
}

/**
 * Makes a result fit `maxBytes` of response JSON: python output beyond it is cut (marked
 * truncated), anything else that is too big becomes a `too-large` error.
 */
export function fitResult (result: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  // A flat result whose worst-case JSON (6 bytes per UTF-16 unit, "\u0000") fits needs no
  // measuring: the common case costs no second JSON.stringify.
  let bound = 2
  for (const [k, v] of Object.entries(result)) {
    if (typeof v === 'string') bound += 6 * v.length + k.length + 8
    else if (v === null || typeof v === 'number' || typeof v === 'boolean' || v === undefined) bound += k.length + 32
    else { bound = Infinity; break }
  }
  if (bound <= maxBytes) return result
  const size = (v: unknown): number => Buffer.byteLength(JSON.stringify(v))
  let total = size(result)
  if (total <= maxBytes) return result
  if (typeof result.stdout === 'string' && typeof result.stderr === 'string') {
    const out: Record<string, unknown> = { ...result, truncated: true }
    // Cut both streams in proportion until the JSON fits; escaping makes bytes ≠ characters.
    for (let i = 0; i < 20 && total > maxBytes; i++) {
      const factor = Math.max(0, (maxBytes / total) * 0.95)
      out.stdout = (out.stdout as string).slice(0, Math.floor((out.stdout as string).length * factor))
      out.stderr = (out.stderr as string).slice(0, Math.floor((out.stderr as string).length * factor))
      total = size(out)
    }
    if (total <= maxBytes) return out
  }
  throw new SwarmError('too-large', `the result is larger than ${maxBytes} bytes`)
}
