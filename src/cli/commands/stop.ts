import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'
import { SwarmError } from '../../errors.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('stop')
    .description('stop the daemon gracefully and wait until it has exited')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('stop'))
      const pid = res.pid as number
      const { pidAlive } = await import('../../daemon/lock.ts')
      const deadline = Date.now() + 20_000
      while (pidAlive(pid)) {
        if (Date.now() > deadline) throw new SwarmError('stop-timeout', `daemon pid ${pid} is still running after 20 s`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      ctx.out.result({ stopped: true, pid }, () => `swarmd stopped (pid ${pid})`)
    })
}
