import type { Command } from 'commander'
import { createContext, numberIn, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('ping')
    .description('round-trip time to a connected (or dialable) peer')
    .argument('<peerId>')
    .option('--count <n>', 'how many pings', numberIn('--count', 1, 100, true), 1)
    .action(async (peerId: string, opts: { count: number }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('ping', { peerId, count: opts.count }))
      ctx.out.result(res, (r) => (r.rttMs as number[]).map((ms) => `pong from ${peerId}: ${ms} ms`).join('\n'))
    })
}
