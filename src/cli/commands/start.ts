import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'
import { daemonOptions } from './daemon.ts'
import type { DaemonCliOptions } from '../run-daemon.ts'

export default function register (program: Command, io: CliIO): void {
  daemonOptions(program.command('start'))
    .description('create the home if there is none, then run the daemon in the foreground (what npm start does)')
    .action(async (opts: DaemonCliOptions, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { homeExists, initHome } = await import('../../config/home.ts')
      if (!(await homeExists(ctx.paths))) {
        const res = await initHome(ctx.paths)
        ctx.out.line(`created home ${res.home} (node ${res.nodeId})`)
      }
      const run = await import('../run-daemon.ts')
      await run.runForeground(ctx, opts)
    })
}
