// `swarm reputation [NODE…]`: this node's local view of others — the score `responder/min-reputation`
// is checked against, with the outcomes that moved it.

import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('reputation')
    .description('local reputation of the nodes this node dealt with: score, accepted, objected, invalid')
    .argument('[nodeIds...]', 'only these nodes (strangers show the default score)')
    .action(async (nodeIds: string[], _opts: unknown, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const list = await ctx.withClient(async (c) => await c.call('reputation', { nodeIds: nodeIds.length > 0 ? nodeIds : undefined }))
      ctx.out.result(list, (l: any[]) => l.length === 0
        ? 'no reputation records yet'
        : l.map((r) => `${(r.score as number).toFixed(3)}  ${r.nodeId as string}  accepted ${String(r.accepted)}, objected ${String(r.objected)}, invalid ${String(r.invalid)}`).join('\n'))
    })
}
