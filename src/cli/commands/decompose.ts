// `swarm decompose QID SUBQ… [--tag T]…`: publishes sub-questions linked to QID (tag
// `parent:QID`), in the parent's scope and with its filters; their summaries become sources of
// the parent's summary.

import type { Command } from 'commander'
import { collect, createContext, numberIn, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('decompose')
    .description('split a question into sub-questions routed to matching nodes; their summaries feed the parent\'s')
    .argument('<id>', 'the parent question id')
    .argument('<subquestions...>', 'one text per sub-question')
    .option('--tag <tag>', 'a tag for the sub-questions (repeatable; default: the parent\'s tags)', collect)
    .option('--require-model <model>', 'responders need one of these models (repeatable; default: the parent\'s)', collect)
    .option('--ttl <sec>', 'seconds (at most what the parent has left)', numberIn('--ttl', 1, 30 * 86400, true))
    .addHelpText('after', '\nExamples:\n  swarm decompose question:01J… "Which nodes pin the old root?" "How long is the overlap?" --tag rotation')
    .action(async (id: string, subquestions: string[], opts: { tag?: string[], requireModel?: string[], ttl?: number }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('decompose', { id, questions: subquestions, tags: opts.tag, requireModels: opts.requireModel, ttlSec: opts.ttl }))
      ctx.out.result(res, (r) => [`${(r.questions as any[]).length} sub-question(s) of ${r.parent as string}`,
        ...(r.questions as any[]).map((q) => `  ${q.id as string}  ${q.text as string}${(q.routes as string[]).length > 0 ? `\n    suits: ${(q.routes as string[]).join(', ')}` : ''}`)].join('\n'))
    })
}
