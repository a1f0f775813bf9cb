import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('connect')
    .description('dial a peer')
    .argument('<multiaddr>', 'e.g. /ip4/127.0.0.1/tcp/7700/p2p/12D3Koo…')
    .action(async (address: string, _opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('connect', { address }, { timeoutMs: 20_000 }))
      ctx.out.result(res, (r) => `connected to ${r.peerId as string} via ${r.address as string}`)
    })
}
