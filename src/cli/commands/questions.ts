import type { Command } from 'commander'
import { createContext, oneOf, type CliIO } from '../context.ts'

const STATES = ['open', 'answered', 'resolved', 'handed-off', 'expired', 'withdrawn'] as const

export default function register (program: Command, io: CliIO): void {
  program.command('questions')
    .description('questions this node asked, received (and may answer) or joined, most urgent first')
    .option('--all', 'also list questions whose filters leave this node out')
    .option('--state <state>', `only this state: ${STATES.join(', ')}`, oneOf('--state', STATES))
    .action(async (opts: { all?: boolean, state?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const list = await ctx.withClient(async (c) => await c.call('questions', { all: opts.all === true, state: opts.state }))
      ctx.out.result(list, (rows: any[]) => rows.length === 0
        ? 'no questions'
        : rows.map((q) => `${q.id as string}  ${(q.urgency as string).padEnd(8)} ${(q.state as string).padEnd(10)} ${(q.role as string).padEnd(11)} ${String(q.contributions).padStart(3)}  ${q.text as string}`).join('\n'))
    })
}
