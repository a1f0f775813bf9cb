import type { Command } from 'commander'
import { collect, createContext, numberIn, oneOf, type CliIO } from '../context.ts'

const KINDS = ['partial-answer', 'fact', 'hypothesis', 'recommendation', 'clarification-request', 'clarification', 'objection'] as const
const ORIGINS = ['node-mediated-human', 'human-live', 'node-generated'] as const

export default function register (program: Command, io: CliIO): void {
  program.command('answer')
    .description('contribute to a question\'s response channel (refused: late, closed, filtered-out, no-follow-ups)')
    .argument('<id>', 'question id')
    .argument('<text>', 'the contribution')
    .option('--kind <kind>', KINDS.join(', '), oneOf('--kind', KINDS), 'partial-answer')
    .option('--confidence <x>', 'how sure, 0..1', numberIn('--confidence', 0, 1), 0.5)
    .option('--source <ref>', 'a source it rests on (repeatable)', collect)
    .option('--reply-to <cid>', 'the contribution this answers')
    .option('--attach <file>', 'attach a file (repeatable), fetched by the channel\'s members beside the gossip', collect)
    .option('--origin <o>', `how it was made: ${ORIGINS.join(', ')}`, oneOf('--origin', ORIGINS), 'node-mediated-human')
    .action(async (id: string, text: string, opts: { kind: string, confidence: number, source?: string[], replyTo?: string, origin: string, attach?: string[] }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => {
        const { prepareAttachments } = await import('../attach.ts')
        const attachments = await prepareAttachments(c, opts.attach)
        return await c.call('answer', { id, text, kind: opts.kind, confidence: opts.confidence, sources: opts.source, replyTo: opts.replyTo, origin: opts.origin, attachments })
      })
      ctx.out.result({ id: res.id, questionId: res.questionId }, (r) => `contributed ${r.id as string}`)
    })
}
