import type { Command } from 'commander'
import { collect, createContext, numberIn, oneOf, type CliIO } from '../context.ts'
import { channelEnd, humanChannelEvent, followChannel } from './watch.ts'

const SCOPES = ['federation-local', 'cross-federation', 'global', 'private'] as const
const URGENCIES = ['low', 'normal', 'high', 'critical'] as const

interface AskOptions {
  scope: string
  ttl?: number
  urgency: string
  tag?: string[]
  followUps: boolean
  requireModel?: string[]
  excludeModel?: string[]
  minReputation?: number
  lang?: string[]
  to?: string[]
  federation?: string[]
  shadow?: string
  wait?: number
  parent?: string
}

export default function register (program: Command, io: CliIO): void {
  program.command('ask')
    .description('broadcast a signed question to the swarm; its response channel opens at once')
    .argument('<text>', 'the question')
    .option('--scope <scope>', `who may see it: ${SCOPES.join(', ')} (private-to-swarm means private)`, (v: string) => v === 'private-to-swarm' ? 'private' : oneOf('--scope', SCOPES)(v), 'federation-local')
    .option('--ttl <sec>', 'seconds the asker accepts contributions (default: config bus.defaultTtlSec)', numberIn('--ttl', 1, 30 * 86400, true))
    .option('--urgency <u>', `${URGENCIES.join(', ')}`, oneOf('--urgency', URGENCIES), 'normal')
    .option('--tag <tag>', 'a tag (repeatable)', collect)
    .option('--no-follow-ups', 'refuse clarification requests')
    .option('--require-model <model>', 'responders need one of these models (repeatable)', collect)
    .option('--exclude-model <model>', 'responders must not run this model (repeatable)', collect)
    .option('--min-reputation <x>', 'lowest responder reputation in this node\'s view, 0..1', numberIn('--min-reputation', 0, 1))
    .option('--lang <code>', 'responders must speak one of these languages (repeatable)', collect)
    .option('--to <nodeId>', 'a recipient of a private question (repeatable; implies --scope private)', collect)
    .option('--federation <fed>', 'another federation for a cross-federation question (repeatable)', collect)
    .option('--shadow <nodeId>', 'a node that follows the channel and takes over if this node goes quiet')
    .option('--parent <questionId>', 'a sub-question of this question (tagged parent:ID; its summary feeds the parent\'s)')
    .option('--wait <sec>', 'then show contributions live for up to SEC seconds', numberIn('--wait', 0, 86400))
    .addHelpText('after', '\nExamples:\n  swarm ask "How do I rotate a federation trust root safely?" --wait 60\n  swarm ask "…" --scope private --to node:did:key:z6Mk…\n  swarm ask "…" --scope cross-federation --federation fed:other --lang en --lang pl')
    .action(async (text: string, opts: AskOptions, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const scope = opts.to !== undefined && opts.to.length > 0 && opts.scope === 'federation-local' ? 'private' : opts.scope
      const params = {
        text,
        scope,
        ttlSec: opts.ttl,
        urgency: opts.urgency,
        tags: opts.tag,
        followUps: opts.followUps,
        requireModels: opts.requireModel,
        excludeModels: opts.excludeModel,
        minReputation: opts.minReputation,
        languages: opts.lang,
        to: opts.to,
        federations: opts.federation,
        shadow: opts.shadow,
        parent: opts.parent
      }
      await ctx.withClient(async (c) => {
        const res = await c.call('ask', params)
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
