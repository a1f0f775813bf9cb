import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'
import { DaemonNotRunningError } from '../../errors.ts'

/** What leaves the node, said when the operator widened or narrowed it (config reflections.serve). */
function serveLines (serve: { federation: string, overrides: Record<string, string> } | undefined): string[] {
  if (serve === undefined) return []
  const entries = Object.entries(serve.overrides)
  if (entries.length === 0) return [`reflections: shared ones served to members of ${serve.federation} (default)`]
  return entries.map(([fed, level]) => `reflections: ${level === 'all' ? 'LOCAL and shared' : level === 'shared' ? 'shared' : 'none'} served to members of ${fed} (config reflections.serve)`)
}

const MODES: Record<string, string> = {
  public: 'public (peers can dial this node)',
  'behind-nat-relayed': 'behind NAT, reachable through a relay',
  'behind-nat': 'behind NAT, no relay yet',
  unknown: 'reachability not known yet'
}

/** `behind NAT, reachable through a relay; 2 direct after a punch, 1 relayed` */
export function networkLine (n: any): string {
  const c = n.connections ?? {}
  const parts = [`${c.direct ?? 0} direct`]
  if ((c.punched ?? 0) > 0) parts.push(`${c.punched as number} direct after a punch`)
  if ((c.relayed ?? 0) > 0) parts.push(`${c.relayed as number} relayed`)
  return `${MODES[n.mode] ?? String(n.mode)}; connections: ${parts.join(', ')}`
}

export default function register (program: Command, io: CliIO): void {
  program.command('status')
    .description('is the daemon running? (exit 3 when not)')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      try {
        const status = await ctx.withClient(async (c) => await c.call('status'))
        ctx.out.result(status, (s) => [`running (pid ${s.pid as number}), node ${s.nodeId as string}, up ${s.uptimeSec as number}s`, ...(s.network === undefined ? [] : [`network: ${networkLine(s.network)}`]), ...serveLines(s.reflections?.serve)].join('\n'))
      } catch (err) {
        if (!(err instanceof DaemonNotRunningError)) throw err
        ctx.out.result({ running: false }, () => `not running on home ${ctx.home}; start it with: swarm daemon --detach`)
        process.exitCode = 3
      }
    })
}
