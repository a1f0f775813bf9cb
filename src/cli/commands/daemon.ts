import type { Command } from 'commander'
import { collect, createContext, oneOf, type CliIO } from '../context.ts'
import type { DaemonCliOptions } from '../run-daemon.ts'

/** The daemon flags, shared by `daemon` and `start`. */
export function daemonOptions (cmd: Command): Command {
  return cmd
    .option('--listen <multiaddr>', 'listen address (repeatable; overrides config listen)', collect)
    .option('--bootstrap <multiaddr>', 'peer to dial at start (repeatable; overrides config bootstrap)', collect)
    .option('--web [addr]', 'serve the browser page on host:port (config web.listen); alone: 127.0.0.1:7780')
    .option('--metrics <addr>', 'serve Prometheus /metrics on host:port (config metrics.listen)')
    .option('--log-level <level>', 'log level: trace, debug, info, warn, error', oneOf('--log-level', ['trace', 'debug', 'info', 'warn', 'error']))
}

export default function register (program: Command, io: CliIO): void {
  daemonOptions(program.command('daemon'))
    .description('run the daemon (foreground; --detach for background)')
    .option('--detach', 'start in the background and exit once it is ready')
    .addHelpText('after', '\nExamples:\n  swarm daemon --detach\n  swarm daemon --listen /ip4/127.0.0.1/tcp/0 --bootstrap /ip4/127.0.0.1/tcp/7700/p2p/12D3Koo…')
    .action(async (opts: DaemonCliOptions & { detach?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const run = await import('../run-daemon.ts')
      if (opts.detach === true) {
        const res = await run.runDetached(ctx, run.daemonArgv(opts))
        ctx.out.result(res, (r) => `swarmd started (pid ${r.pid as number}), node ${r.nodeId as string}${typeof r.web === 'string' ? `\nweb page: ${r.web}` : ''}`)
        return
      }
      await run.runForeground(ctx, opts)
    })
}
