import type { Command } from 'commander'
import { SwarmClient } from '../../client/swarm-client.ts'
import { collect, createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('events')
    .description('stream the daemon\'s events (NDJSON with --json) until interrupted')
    .option('--type <type>', 'only this event type (repeatable), e.g. peer:joined, question:received', collect)
    .action(async (opts: { type?: string[] }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      // the typed client library's stream: an interrupt ends the loop and cancels it upstream
      const swarm = new SwarmClient(await ctx.client())
      const ac = new AbortController()
      process.once('SIGINT', () => { ac.abort() })
      try {
        for await (const event of swarm.events({ types: opts.type ?? [], signal: ac.signal })) {
          ctx.out.event(event, (e) => `${e.at as string}  ${e.type as string}  ${JSON.stringify(Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'at' && k !== 'type')))}`)
        }
      } finally {
        swarm.disconnect()
      }
    })
}
