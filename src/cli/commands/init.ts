import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('init')
    .description('create a home: config.json, key (0600) and db/')
    .option('--federation <id>', 'federation this node belongs to', 'fed:default')
    .option('--force', 'replace an existing home\'s key, config and data')
    .addHelpText('after', '\nExample:\n  swarm init --home /tmp/node1 --federation fed:orbiplex-pl --json')
    .action(async (opts: { federation: string, force?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { initHome } = await import('../../config/home.ts')
      const res = await initHome(ctx.paths, { federation: opts.federation, force: opts.force })
      ctx.out.result(res, (r) => `created home ${r.home}\n  node id   ${r.nodeId}\n  peer id   ${r.peerId}\n  federation ${r.federation}\nstart it with: swarm daemon --detach${ctx.io.env.SWARM_HOME === undefined ? ` --home ${r.home}` : ''}`)
    })
}
