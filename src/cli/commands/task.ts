import type { Command } from 'commander'
import { collect, createContext, numberIn, oneOf, type CliIO } from '../context.ts'

interface RunOptions {
  code?: string
  data?: string
  path?: string
  prompt?: string
  language?: string
  peer?: string
  timeout?: number
  requireIsolation?: string
  attach?: string[]
}

const TASK_TYPES = 'python-computation, code-generation, file-analysis'

export default function register (program: Command, io: CliIO): void {
  const task = program.command('task').description('delegate work to capable peers, and see the tasks in and out')

  task.command('run')
    .description(`run a task on a capable peer (never on this node); types: ${TASK_TYPES}`)
    .argument('<type>', 'task type')
    .option('--code <code>', 'python-computation: the program, e.g. \'print(6*7)\'')
    .option('--path <path>', 'file-analysis: a path inside the peer\'s safe prefixes')
    .option('--prompt <text>', 'code-generation: what to write')
    .option('--language <lang>', 'code-generation: the language wanted')
    .option('--data <json>', 'the task data as a JSON object (instead of the options above)')
    .option('--peer <peerId>', 'ask only this peer (peer id or node id), whatever its advert says')
    .option('--attach <file>', 'attach a file (repeatable); python tasks read it as ./attachments/NAME', collect)
    .option('--timeout <sec>', 'time limit per attempt (default: the daemon\'s tasks.timeoutSec)', numberIn('--timeout', 0.1, 3600))
    .option('--require-isolation <class>', 'only peers whose python executor is isolated so (bwrap, wasm, none); their signed receipt must say it too', oneOf('--require-isolation', ['bwrap', 'wasm', 'none']))
    .addHelpText('after', `
Examples:
  swarm task run python-computation --code 'print(6*7)'
  swarm task run file-analysis --path reports/q3.csv --json
  swarm task run code-generation --prompt 'parse an ISO date' --language python
  swarm task run python-computation --data '{"code":"import time; time.sleep(1)"}' --peer 12D3KooW… --timeout 5`)
    .action(async (type: string, opts: RunOptions, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { UsageError } = await import('../../errors.ts')
      const data = taskData(type, opts, (m) => new UsageError(m))
      const params = { type, data, peer: opts.peer, timeoutSec: opts.timeout, ...(opts.requireIsolation === undefined ? {} : { requireIsolation: opts.requireIsolation }) }
      const ac = new AbortController()
      const onSigint = (): void => { ac.abort() }
      process.once('SIGINT', onSigint)
      ctx.out.progress(`running ${type} on a peer…`)
      try {
        // The daemon bounds the run (attempts × time limit); the client waits as long as it takes.
        const res = await ctx.withClient(async (c) => {
          const { prepareAttachments } = await import('../attach.ts')
          const attachments = await prepareAttachments(c, opts.attach)
          return await c.call('task.run', { ...params, attachments }, { signal: ac.signal, timeoutMs: 24 * 3600 * 1000 })
        })
        ctx.out.result(res, human)
        if (res.success !== true) process.exitCode = 1
      } finally {
        process.off('SIGINT', onSigint)
        ctx.out.done()
      }
    })

  task.command('list')
    .description('recent tasks received (in) and delegated (out), newest first, with their states')
    .option('--limit <n>', 'how many', numberIn('--limit', 1, 1000, true), 50)
    .option('--direction <dir>', 'only in or out', oneOf('--direction', ['in', 'out']))
    .action(async (opts: { limit: number, direction?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const list = await ctx.withClient(async (c) => await c.call('task.list', { limit: opts.limit, direction: opts.direction }))
      ctx.out.result(list, (rows: any[]) => rows.length === 0
        ? 'no tasks yet'
        : rows.map((r) => `${String(r.createdAt)}  ${r.direction === 'in' ? 'in ' : 'out'}  ${pad(r.state, 10)} ${pad(r.type, 19)} ${String(r.correlationId)}  ${r.peerId === undefined ? '' : `${r.direction === 'in' ? 'from' : 'peer'} ${String(r.peerId)}`}${r.error === undefined ? '' : `  ${String(r.error.code)}`}`).join('\n'))
    })
}

function pad (s: unknown, n: number): string { return String(s ?? '').padEnd(n) }

function taskData (type: string, opts: RunOptions, usage: (m: string) => Error): Record<string, unknown> {
  const given = [opts.code, opts.data, opts.path, opts.prompt].filter((x) => x !== undefined).length
  if (given > 1) throw usage('give one of --code, --path, --prompt or --data')
  if (opts.data !== undefined) {
    let v: unknown
    try { v = JSON.parse(opts.data) } catch (err) { throw usage(`--data is not JSON: ${(err as Error).message}`) }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw usage('--data must be a JSON object')
    return v as Record<string, unknown>
  }
  if (opts.code !== undefined) return { code: opts.code }
  if (opts.path !== undefined) return { path: opts.path }
  if (opts.prompt !== undefined) return opts.language === undefined ? { prompt: opts.prompt } : { prompt: opts.prompt, language: opts.language }
  if (type === 'python-computation') throw usage('python-computation needs --code (or --data \'{"code":…}\')')
  return {}
}

function human (r: any): string {
  if (r.success !== true) return `task ${String(r.correlationId)} failed: ${String(r.error?.code)}: ${String(r.error?.message)}`
  const res = r.result ?? {}
  const lines: string[] = []
  if (typeof res.stdout === 'string') {
    if (res.stdout !== '') lines.push(res.stdout.replace(/\n$/, ''))
    if (typeof res.stderr === 'string' && res.stderr !== '') lines.push(res.stderr.replace(/\n$/, ''))
  } else if (typeof res.code === 'string') {
    lines.push(res.code.replace(/\n$/, ''))
  } else if (typeof res.sha256 === 'string') {
    lines.push(`${String(res.path ?? 'file')}: ${String(res.type)}${typeof res.mime === 'string' ? ` (${res.mime as string})` : ''}, ${String(res.length)} bytes, ${String(res.lines)} line${res.lines === 1 ? '' : 's'}`)
    lines.push(`sha256 ${res.sha256 as string}`)
  } else {
    lines.push(JSON.stringify(res, null, 2))
  }
  const exit = typeof res.exitCode === 'number' && res.exitCode !== 0 ? `, exit code ${String(res.exitCode)}` : ''
  const isolation = typeof r.receipt?.isolation === 'string' ? `, isolation ${String(r.receipt.isolation)}` : ''
  lines.push(`— executed by ${String(r.executedBy)} in ${String(r.durationMs)} ms (attempt ${String(r.attempts)}${exit}${isolation})`)
  return lines.join('\n')
}
