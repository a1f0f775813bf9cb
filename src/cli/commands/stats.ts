import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('stats')
    .description('live numbers: peers, topics, envelopes accepted and rejected by reason, …')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const stats = await ctx.withClient(async (c) => await c.call('stats'))
      ctx.out.result(stats)
    })
}
