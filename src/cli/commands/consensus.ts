// `swarm consensus …`: ask the federation before a risky change (propose), answer as an `ask`
// operator (pending, vote), or run a command only when the swarm approves it (gate).

import type { Command } from 'commander'
import { createContext, numberIn, oneOf, type CliContext, type CliIO } from '../context.ts'

const OPERATIONS = ['create', 'modify', 'delete'] as const
/** Contents the CLI reads and sends; the control line is 1 MiB. */
const MAX_FILE_BYTES = 512 * 1024
/** Exit status of `gate` when the change is not approved. */
export const GATE_BLOCKED_EXIT = 4

interface ProposeOptions {
  file: string
  operation?: string
  contentFile?: string
  rationale?: string
  timeout?: number
}

function proposalOptions (cmd: Command): Command {
  return cmd
    .requiredOption('--file <path>', 'the file the change touches, as judged against consensus.coreFiles (e.g. src/agent.ts)')
    .option('--operation <op>', 'create, modify or delete (default: modify if the file exists here, else create)', oneOf('--operation', OPERATIONS))
    .option('--content-file <f>', 'the proposed new content (its size and dynamic execution set the risk; its sha256 is signed)')
    .option('--rationale <text>', 'why the change is wanted (shown to voters)')
    .option('--timeout <sec>', 'seconds to wait for votes (default: consensus.timeoutSec, 30)', numberIn('--timeout', 0.1, 3600))
}

export default function register (program: Command, io: CliIO): void {
  const consensus = program.command('consensus').description('ask the federation to approve a risky change, and vote on others\' proposals')

  proposalOptions(consensus.command('propose'))
    .description('propose a change and wait for the federation\'s votes (exit 0 either way; the result says)')
    .action(async (opts: ProposeOptions, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const result = await propose(ctx, opts)
      ctx.out.result(result, describe)
    })

  consensus.command('pending')
    .description('proposals waiting for this operator\'s vote (consensus.vote = ask)')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const list = await ctx.withClient(async (c) => await c.call('consensus.pending', {}))
      ctx.out.result(list, (l: any[]) => l.length === 0
        ? 'no proposals waiting'
        : l.map((p) => `${p.id as string}  ${p.operation as string} ${p.file as string}  risk ${p.risk as string}  until ${p.deadline as string}\n  from ${p.proposer as string}: ${p.rationale as string}${(p.reasons as string[]).map((r) => `\n  - ${r}`).join('')}${typeof p.content === 'string' ? `\n  content (${Buffer.byteLength(p.content as string)} bytes, verified against ${p.contentHash as string}; --json shows it)` : ''}`).join('\n'))
    })

  consensus.command('vote')
    .description('vote on a pending proposal')
    .argument('<proposalId>')
    .argument('<vote>', 'yes or no', oneOf('vote', ['yes', 'no']))
    .option('--reason <text>', 'why (sent to the proposer)')
    .action(async (id: string, vote: string, opts: { reason?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('consensus.vote', { id, vote, reason: opts.reason }))
      ctx.out.result(res, (r) => `voted ${r.vote as string} on ${r.id as string}${r.delivered === true ? '' : ' (the proposer had already stopped waiting)'}`)
    })

  consensus.command('get')
    .description('a proposal this node made or voted on, with its votes and result')
    .argument('<proposalId>')
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      ctx.out.result(await ctx.withClient(async (c) => await c.call('consensus.get', { id })))
    })

  proposalOptions(consensus.command('gate'))
    .description(`run COMMAND only if the federation approves the change; exit with its status, or ${GATE_BLOCKED_EXIT} without running it`)
    .argument('<command...>', 'the command and its arguments, after --')
    .usage('--file <path> [options] -- COMMAND [ARGS...]')
    .action(async (argv: string[], opts: ProposeOptions, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const result = await propose(ctx, opts)
      // stdout belongs to COMMAND: the gate speaks on stderr only (one JSON line with --json).
      const note = ctx.json ? JSON.stringify(result) : undefined
      if (result.consensus !== true) {
        ctx.out.warn(note ?? `swarm: blocked: ${why(result)}; not running ${argv[0]}`)
        process.exitCode = GATE_BLOCKED_EXIT
        return
      }
      ctx.out.warn(note ?? `swarm: ${why(result)}; running ${argv.join(' ')}`)
      process.exitCode = await runCommand(argv, io)
    })
}

async function propose (ctx: CliContext, opts: ProposeOptions): Promise<any> {
  const { readFile, stat } = await import('node:fs/promises')
  const { UsageError } = await import('../../errors.ts')
  const read = async (path: string, what: string): Promise<string | undefined> => {
    let size: number
    try {
      const st = await stat(path)
      if (!st.isFile()) throw new UsageError(`${what} ${path} is not a file`)
      size = st.size
    } catch (err: any) {
      if (err instanceof UsageError) throw err
      if (err.code === 'ENOENT') return undefined
      throw new UsageError(`cannot read ${what} ${path}: ${err.message as string}`)
    }
    if (size > MAX_FILE_BYTES) throw new UsageError(`${what} ${path} is larger than ${MAX_FILE_BYTES} bytes`)
    return await readFile(path, 'utf8')
  }
  let content: string | undefined
  if (opts.contentFile !== undefined) {
    content = await read(opts.contentFile, '--content-file')
    if (content === undefined) throw new UsageError(`--content-file ${opts.contentFile} does not exist`)
  }
  // The current version (relative to this shell's directory) sizes a modify: the proposer's
  // assessment uses it and voters receive it beside the new content to size the change themselves.
  const current = await read(opts.file, '--file').catch(() => undefined)
  const operation = opts.operation ?? (current === undefined ? 'create' : 'modify')
  const params = {
    file: opts.file,
    operation,
    content,
    previousContent: operation === 'modify' ? current : undefined,
    rationale: opts.rationale,
    timeoutSec: opts.timeout
  }
  ctx.out.progress(`asking the federation about ${operation} ${opts.file}…`)
  const waitMs = ((opts.timeout ?? 3600) + 30) * 1000
  try {
    return await ctx.withClient(async (c) => await c.call('consensus.propose', params, { timeoutMs: waitMs }))
  } finally {
    ctx.out.done()
  }
}

function why (r: any): string {
  if (r.reason === 'swarm-unavailable') return `no federation peer could be asked (swarm-unavailable): fallback ${r.consensus === true ? 'allows' : 'denies'}`
  return `consensus ${r.reason as string} (${r.yes as number} of ${r.eligible as number} eligible voted yes, electorate ${String(r.electorate ?? 'open')}, risk ${r.risk as string})`
}

function describe (r: any): string {
  const lines = [`${r.consensus === true ? 'APPROVED' : 'NOT APPROVED'}: ${why(r)}`, `proposal ${r.id as string}: ${r.operation as string} ${r.file as string}`]
  for (const reason of r.reasons as string[]) lines.push(`  risk: ${reason}`)
  for (const v of r.votes as any[]) lines.push(`  ${v.vote as string}  ${v.voter as string}  ${v.reason as string}`)
  for (const s of r.silent as string[]) lines.push(`  silent  ${s}`)
  for (const x of (r.excluded ?? []) as any[]) lines.push(`  not a voter  ${String(x.nodeId ?? x.peerId)}  ${String(x.reason)}`)
  return lines.join('\n')
}

/** Runs the gated command with the terminal; resolves with its exit status (128+n on signal n). */
async function runCommand (argv: string[], io: CliIO): Promise<number> {
  const { spawn } = await import('node:child_process')
  const { constants } = await import('node:os')
  return await new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env: io.env })
    child.once('error', (err: NodeJS.ErrnoException) => {
      io.stderr.write(`swarm: cannot run ${argv[0]}: ${err.message}\n`)
      resolve(err.code === 'ENOENT' ? 127 : 126)
    })
    child.once('exit', (code, signal) => {
      resolve(code ?? 128 + (signal === null ? 0 : (constants.signals as Record<string, number>)[signal] ?? 0))
    })
  })
}
