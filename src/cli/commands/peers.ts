import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('peers')
    .description('connected peers')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const peers = await ctx.withClient(async (c) => await c.call('peers'))
      ctx.out.result(peers, (list: any[]) => list.length === 0
        ? 'no peers connected'
        : list.map((p) => `${p.peerId as string}${p.nodeId != null ? `  ${p.nodeId as string}` : ''}${p.connection != null ? `  (${p.connection as string})` : ''}\n  ${(p.addresses as string[]).join('\n  ')}`).join('\n'))
    })
}
