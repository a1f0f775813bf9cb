// The flags that describe a question, shared by `swarm ask` (published) and `swarm envelope
// question` (printed): declared once so both commands accept and explain them the same way.

import type { Command } from 'commander'
import { collect, numberIn, oneOf } from './context.ts'

import { SCOPES, URGENCIES } from '../envelope/vocabulary.ts'

export { SCOPES, URGENCIES } from '../envelope/vocabulary.ts'

export interface QuestionFlags {
  scope: string
  ttl?: number
  urgency: typeof URGENCIES[number]
  tag?: string[]
  followUps: boolean
  requireModel?: string[]
  excludeModel?: string[]
  minReputation?: number
  lang?: string[]
}

/** Adds --scope, --ttl, --urgency, --tag, --no-follow-ups, the responder filters and --lang. */
export function questionOptions (cmd: Command, ttl: { default?: number, help: string }): Command {
  return cmd
    .option('--scope <scope>', `who may see it: ${SCOPES.join(', ')} (private-to-swarm means private)`, (v: string) => v === 'private-to-swarm' ? 'private' : oneOf('--scope', SCOPES)(v), 'federation-local')
    .option('--ttl <sec>', ttl.help, numberIn('--ttl', 1, 30 * 86400, true), ttl.default)
    .option('--urgency <u>', URGENCIES.join(', '), oneOf('--urgency', URGENCIES), 'normal')
    .option('--tag <tag>', 'a tag (repeatable)', collect)
    .option('--no-follow-ups', 'refuse clarification requests')
    .option('--require-model <model>', 'responders need one of these models (repeatable)', collect)
    .option('--exclude-model <model>', 'responders must not run this model (repeatable)', collect)
    .option('--min-reputation <x>', 'lowest responder reputation in the asker\'s view, 0..1', numberIn('--min-reputation', 0, 1))
    .option('--lang <code>', 'responders must speak one of these languages (repeatable)', collect)
}

/** The flags in the builder's / control method's words. */
export function questionFields (o: QuestionFlags): {
  scope: string, ttlSec?: number, urgency: QuestionFlags['urgency'], tags?: string[], followUps: boolean,
  requireModels?: string[], excludeModels?: string[], minReputation?: number, languages?: string[]
} {
  return {
    scope: o.scope,
    ttlSec: o.ttl,
    urgency: o.urgency,
    tags: o.tag,
    followUps: o.followUps,
    requireModels: o.requireModel,
    excludeModels: o.excludeModel,
    minReputation: o.minReputation,
    languages: o.lang
  }
}
