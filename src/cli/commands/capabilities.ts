import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('capabilities')
    .description('what this node offers, and the unexpired capability adverts of its peers')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('capabilities'))
      ctx.out.result(res, (r) => {
        const list = (xs: string[]): string => xs.length === 0 ? '-' : xs.join(', ')
        const lines = [
          `this node: ${list(r.local.capabilities)}${r.local.isolation == null ? '' : `   isolation: ${String(r.local.isolation)}`}`,
          `  task types: ${list(r.local.taskTypes)}   models: ${list(r.local.models)}   languages: ${list(r.local.languages)}`
        ]
        if (r.peers.length === 0) lines.push('no peer adverts yet')
        for (const p of r.peers) {
          lines.push(`${String(p.peerId)}  ${list(p.capabilities)}${p.isolation == null ? '' : `   isolation: ${String(p.isolation)}`}`)
          lines.push(`  task types: ${list(p.taskTypes)}   queue ${String(p.queueLength)}, running ${String(p.running)}   until ${String(p.expiresAt)}`)
        }
        return lines.join('\n')
      })
    })
}
