// `swarm knowledge QUERY`: what this node and its connected peers know about something — local
// reflections merged with each peer's curated top results, ranked, each naming the node it came
// from. Peers that do not answer before the deadline are left out (and named on stderr).

import type { Command } from 'commander'
import { createContext, numberIn, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('knowledge')
    .description('ask connected peers what they know, merged with local reflections')
    .argument('<query...>', 'words to look for')
    .option('--limit <n>', 'how many results (default 10)', numberIn('--limit', 1, 20, true))
    .option('--timeout <sec>', 'how long to wait for peers (default 5)', numberIn('--timeout', 0.1, 60))
    .addHelpText('after', `
Examples:
  swarm knowledge rotate trust root
  swarm knowledge 'gossipsub mesh repair' --limit 5 --timeout 2 --json`)
    .action(async (words: string[], opts: { limit?: number, timeout?: number }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const params = { query: words.join(' '), limit: opts.limit, timeoutSec: opts.timeout }
      ctx.out.progress('asking peers…')
      let res: any
      try {
        res = await ctx.withClient(async (c) => await c.call('knowledge', params, { timeoutMs: ((opts.timeout ?? 5) + 30) * 1000 }))
      } finally {
        ctx.out.done()
      }
      const { peers } = res
      if (peers.failed.length > 0) {
        ctx.out.warn(`swarm: ${peers.failed.length as number} of ${peers.asked as number} peer(s) left out: ${(peers.failed as any[]).map((f) => `${f.nodeId as string} (${f.error as string})`).join('; ')}`)
      }
      ctx.out.result(res.items, (items: any[]) => {
        const head = `${items.length} result(s); ${peers.answered as number} of ${peers.asked as number} peer(s) answered`
        return [head, ...items.map((i) => `${(i.score as number).toFixed(3)}  ${i.id as string}  ${i.outcome as string}  from ${i.from as string}\n  ${(i.description as string).replace(/\s+/g, ' ').slice(0, 160)}`)].join('\n')
      })
    })
}
