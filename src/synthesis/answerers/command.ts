// The `command` answerer: an operator's executable, run without a shell. It reads
// `{"question": <envelope>, "contributions": [<envelopes>…], "trigger": "question"|"clarification",
// "reflections": [{id, description, outcome, recommendations, author}…]}` on stdin (the
// reflections are the shared ones servable to that question, never local ones) and prints a JSON array of `{"kind","text","confidence","sources"}` on stdout. It runs
// in its own process group so a time limit kills its children too; its output is capped.

import { spawn } from 'node:child_process'
import type { AnswererConfig } from '../../config/schema.ts'
import { SwarmError } from '../../errors.ts'
import { sharedContext } from './context.ts'
import type { KnowledgeSource } from './reflections.ts'
import { toDrafts, type AnswerInput, type AnswerRequest, type Answerer, type Draft } from './types.ts'

export type CommandAnswererConfig = Extract<AnswererConfig, { kind: 'command' }>

export const COMMAND_TIMEOUT_SEC = 20
export const COMMAND_OUTPUT_BYTES = 256 * 1024
/** stderr kept for the log when the command fails. */
const STDERR_BYTES = 4096

export interface RunResult { drafts: Draft[], rejected: string[] }

export class CommandAnswerer implements Answerer {
  readonly kind = 'command' as const
  readonly label: string
  readonly config: CommandAnswererConfig
  private readonly context?: () => KnowledgeSource | undefined

  /** `context`: where the shared reflections given to the command come from (none without it). */
  constructor (config: CommandAnswererConfig, context?: () => KnowledgeSource | undefined) {
    this.config = config
    this.context = context
    this.label = `command:${config.command}`
  }

  async answer (input: AnswerInput, signal: AbortSignal): Promise<Draft[]> {
    return (await this.run(input, signal)).drafts
  }

  /**
   * Errors (SwarmError codes): `answerer-failed` (cannot start, non-zero exit, killed),
   * `timeout`, `too-large` (stdout over the cap), `bad-answer` (not a JSON array), `aborted`.
   */
  async run (input: AnswerInput, signal: AbortSignal): Promise<RunResult> {
    const timeoutMs = (this.config.timeoutSec ?? COMMAND_TIMEOUT_SEC) * 1000
    const cap = this.config.outputBytes ?? COMMAND_OUTPUT_BYTES
    const request: AnswerRequest = { ...input, reflections: await sharedContext(this.context, input.question, signal) }
    const stdout = await runProcess(this.config.command, this.config.args ?? [], JSON.stringify(request), { timeoutMs, cap, signal })
    let parsed: unknown
    try { parsed = JSON.parse(stdout) } catch {
      // the output is answer text: its size is logged, never its content
      throw new SwarmError('bad-answer', `${this.config.command} did not print JSON`, { detail: { stdoutBytes: Buffer.byteLength(stdout) } })
    }
    try {
      return toDrafts(parsed)
    } catch (err) {
      throw new SwarmError('bad-answer', `${this.config.command}: ${(err as Error).message}`)
    }
  }
}

function runProcess (command: string, args: string[], stdin: string, o: { timeoutMs: number, cap: number, signal: AbortSignal }): Promise<string> {
  return new Promise((resolve, reject) => {
    if (o.signal.aborted) { reject(new SwarmError('aborted', 'answerer run aborted')); return }
    // detached: its own process group, so killing -pid reaches whatever it started
    const child = spawn(command, args, { shell: false, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: process.env })
    const out: Buffer[] = []
    let outBytes = 0
    let err = ''
    let failure: SwarmError | undefined
    const kill = (why: SwarmError): void => {
      failure ??= why
      try { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL') } catch { child.kill('SIGKILL') }
    }
    const timer = setTimeout(() => { kill(new SwarmError('timeout', `${command} ran longer than ${o.timeoutMs} ms`)) }, o.timeoutMs)
    const onAbort = (): void => { kill(new SwarmError('aborted', 'answerer run aborted')) }
    o.signal.addEventListener('abort', onAbort, { once: true })
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length
      if (outBytes > o.cap) { kill(new SwarmError('too-large', `${command} printed more than ${o.cap} bytes`)); return }
      out.push(b)
    })
    child.stderr.on('data', (b: Buffer) => { if (err.length < STDERR_BYTES) err += b.toString('utf8').slice(0, STDERR_BYTES - err.length) })
    child.stdin.on('error', () => {}) // a command that does not read stdin closes the pipe early
    child.stdin.end(stdin)
    child.on('error', (e) => { failure ??= new SwarmError('answerer-failed', `cannot run ${command}: ${e.message}`) })
    child.on('close', (code, sig) => {
      clearTimeout(timer)
      o.signal.removeEventListener('abort', onAbort)
      if (failure !== undefined) { reject(failure); return }
      if (code !== 0) {
        reject(new SwarmError('answerer-failed', `${command} exited ${code ?? sig ?? '?'}`, { detail: { stderr: err.trim() } }))
        return
      }
      resolve(Buffer.concat(out).toString('utf8'))
    })
  })
}
