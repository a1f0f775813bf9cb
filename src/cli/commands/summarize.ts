// `swarm summarize ID [--final]`: merges the response channel into a signed summary, publishes it
// in the channel and prints it. Anyone in the channel may publish an intermediate summary; a
// final one only the asker or the acting secretary.

import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('summarize')
    .description('merge a question\'s contributions into a signed summary (facts, hypotheses, recommendations, uncertainty) and publish it')
    .argument('<id>', 'question id')
    .option('--final', 'the final summary (asker or acting secretary only)')
    .option('--no-phrase', 'keep the computed wording even when an openai answerer is configured')
    .addHelpText('after', '\nExamples:\n  swarm summarize question:01J… --json\n  swarm summarize question:01J… --final')
    .action(async (id: string, opts: { final?: boolean, phrase: boolean }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const e = await ctx.withClient(async (c) => await c.call('summarize', { id, final: opts.final === true, phrase: opts.phrase }, { timeoutMs: 120_000 }))
      ctx.out.result(e, (s) => {
        const lines = [`${s.id as string}  ${s.status as string} summary of ${s['question/id'] as string}  uncertainty ${String(s.content.uncertainty)}`]
        const section = (title: string, items: any[]): void => {
          if (items.length === 0) return
          lines.push(`${title}:`)
          for (const i of items) lines.push(`  - (${String(i.confidence)}) ${i.text as string}\n      sources: ${(i.sources as string[]).join(', ')}`)
        }
        section('facts', s.content.facts)
        section('hypotheses', s.content.hypotheses)
        section('recommendations', s.content.recommendations)
        lines.push(`contributors: ${(s.contributors as string[]).length}`)
        for (const x of s.excluded) lines.push(`  excluded ${x.contribution as string}: ${x.reason as string}`)
        return lines.join('\n')
      })
    })
}
