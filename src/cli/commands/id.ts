import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('id')
    .description('this node\'s ids, key and addresses')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const id = await ctx.withClient(async (c) => await c.call('id'))
      ctx.out.result(id, (r) => [
        `node id    ${r.nodeId as string}`, `peer id    ${r.peerId as string}`, `pubkey     ${r.pubkey as string}`,
        `federation ${r.federation as string}`, 'addresses:', ...(r.addresses as string[]).map((a) => `  ${a}`)
      ].join('\n'))
    })
}
