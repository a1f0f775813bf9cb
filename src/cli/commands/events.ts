import type { Command } from 'commander'
import { collect, createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('events')
    .description('stream the daemon\'s events (NDJSON with --json) until interrupted')
    .option('--type <type>', 'only this event type (repeatable), e.g. peer:joined, question:received', collect)
    .action(async (opts: { type?: string[] }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const client = await ctx.client()
      const ac = new AbortController()
      process.once('SIGINT', () => { ac.abort() })
      try {
        await client.stream('events', { types: opts.type ?? [] }, (event) => {
          ctx.out.event(event, (e) => `${e.at as string}  ${e.type as string}  ${JSON.stringify(Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'at' && k !== 'type')))}`)
        }, { signal: ac.signal })
      } catch (err: any) {
        if (err?.code !== 'aborted') throw err
      } finally {
        client.close()
      }
    })
}
