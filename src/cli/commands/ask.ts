import type { Command } from 'commander'
import { UsageError } from '../../errors.ts'
import { collect, createContext, numberIn, type CliIO } from '../context.ts'
import { questionFields, questionOptions, type QuestionFlags } from '../question-options.ts'
import { channelEnd, humanChannelEvent, followChannel } from './watch.ts'

interface AskOptions extends QuestionFlags {
  to?: string[]
  federation?: string[]
  shadow?: string
  wait?: number
  parent?: string
  batch?: boolean
  attach?: string[]
}

export default function register (program: Command, io: CliIO): void {
  questionOptions(program.command('ask')
    .description('broadcast a signed question to the swarm; its response channel opens at once')
    .argument('[text]', 'the question (omit with --batch)'), { help: 'seconds the asker accepts contributions (default: config bus.defaultTtlSec)' })
    .option('--to <nodeId>', 'a recipient of a private question (repeatable; implies --scope private)', collect)
    .option('--federation <fed>', 'another federation for a cross-federation question (repeatable)', collect)
    .option('--shadow <nodeId>', 'a node that follows the channel and takes over if this node goes quiet')
    .option('--parent <questionId>', 'a sub-question of this question (tagged parent:ID; its summary feeds the parent\'s)')
    .option('--wait <sec>', 'then show contributions live for up to SEC seconds', numberIn('--wait', 0, 86400))
    .option('--attach <file>', 'attach a file (repeatable): the envelope names it by content id, peers fetch it beside the gossip', collect)
    .option('--batch', 'read NDJSON questions from stdin (one object a line, fields named as these flags: {"text":…,"scope":…,"tag":[…]}); one result a line; the flags given here are every line\'s defaults')
    .addHelpText('after', '\nExamples:\n  swarm ask "How do I rotate a federation trust root safely?" --wait 60\n  swarm ask "…" --scope private --to node:did:key:z6Mk…\n  swarm ask "…" --scope cross-federation --federation fed:other --lang en --lang pl\n  printf \'%s\\n\' \'{"text":"one?"}\' \'{"text":"two?","scope":"global","tag":["x"]}\' | swarm ask --batch --json')
    .action(async (text: string | undefined, opts: AskOptions, cmd: Command) => {
      const ctx = createContext(cmd, io)
      if (opts.batch === true) {
        if (text !== undefined) throw new UsageError('--batch reads the questions from stdin: give no text argument')
        if (opts.wait !== undefined) throw new UsageError('--batch cannot --wait')
        const { runAskBatch } = await import('../ask-batch.ts')
        await runAskBatch(ctx, opts)
        return
      }
      if (text === undefined) throw new UsageError("missing required argument 'text'")
      const scope = opts.to !== undefined && opts.to.length > 0 && opts.scope === 'federation-local' ? 'private' : opts.scope
      const params = {
        text,
        ...questionFields(opts),
        scope,
        to: opts.to,
        federations: opts.federation,
        shadow: opts.shadow,
        parent: opts.parent
      }
      await ctx.withClient(async (c) => {
        const { prepareAttachments } = await import('../attach.ts')
        const res = await c.call('ask', { ...params, attachments: await prepareAttachments(c, opts.attach) })
        if (opts.wait === undefined) {
          ctx.out.result(res, (r) => `asked ${r.id as string} (${scope}, ttl ${String(r.envelope['ttl-sec'])} s)`)
          return
        }
        ctx.out.event(res, (r) => `asked ${r.id as string} (${scope}); waiting up to ${String(opts.wait)} s for contributions`)
        const end = await followChannel(ctx, c, res.id, { timeoutSec: opts.wait, replay: false, human: humanChannelEvent })
        ctx.out.line(channelEnd(res.id, end))
      })
    })
}
