// Where questions travel: the pure mapping between a question's scope and gossipsub topics,
// and what a node subscribes to. Topic names are wire contract (src/constants.ts).

import { topics } from '../../constants.ts'
import { QUESTION_ID_PATTERN } from '../../envelope/ids.ts'

export type Scope = 'private' | 'federation-local' | 'cross-federation' | 'global'
/** A question id (`question:<ULID>`), which names its response channel too. */
export const QUESTION_ID = QUESTION_ID_PATTERN

const FED_QUESTIONS = /^swarm\/1\/fed\/([^/]+)\/questions$/

/** What a topic is, from the bus's point of view. */
export type TopicKind =
  | { kind: 'federation', federation: string }
  | { kind: 'global' }
  | { kind: 'private' }
  | { kind: 'other' }

export function topicKind (topic: string): TopicKind {
  if (topic === topics.globalQuestions()) return { kind: 'global' }
  if (topic === topics.privateInbox()) return { kind: 'private' }
  const m = FED_QUESTIONS.exec(topic)
  if (m !== null) return { kind: 'federation', federation: m[1] }
  return { kind: 'other' }
}

/**
 * The topics a question is published on: its sender's federation (federation-local), those
 * federations plus the sender's own (cross-federation), the global topic, or the private inbox.
 */
export function publishTopics (scope: Scope, ownFederation: string, federations: readonly string[] = []): string[] {
  switch (scope) {
    case 'federation-local': return [topics.questions(ownFederation)]
    case 'cross-federation': return [...new Set([ownFederation, ...federations])].map((f) => topics.questions(f))
    case 'global': return [topics.globalQuestions()]
    case 'private': return [topics.privateInbox()]
  }
}

export interface SubscriptionConfig {
  federation: string
  federations: readonly string[]
  global: boolean
}

/** The question topics a node listens on: its federation, the ones it lists, global unless off, the private inbox. */
export function questionSubscriptions (c: SubscriptionConfig): string[] {
  const out = [...new Set([c.federation, ...c.federations])].map((f) => topics.questions(f))
  if (c.global) out.push(topics.globalQuestions())
  out.push(topics.privateInbox())
  return out
}

/**
 * The topics a question's channel envelopes travel on: those of the question's scope, as seen by
 * this node (docs/channel-log.md). Every node in scope relays them; only members keep them.
 * Federation-local: the asker's federation topic. Cross-federation: the asker's federation, the
 * ones the asker named (known to the asker only) and the ones this node listens on.
 * Global: the one global topic. Private: the private inbox (sealed).
 */
export function channelTopics (question: { sender: { 'federation/id': string }, delivery: { scope: string } }, own: { federation: string, federations?: readonly string[] }, named: readonly string[] = []): string[] {
  const scope = question.delivery.scope === 'private-to-swarm' ? 'private' : question.delivery.scope
  const asker = question.sender['federation/id']
  switch (scope) {
    case 'federation-local': return [topics.questions(asker)]
    case 'cross-federation': return [...new Set([asker, ...named, own.federation, ...own.federations ?? []])].map((f) => topics.questions(f))
    case 'global': return [topics.globalQuestions()]
    default: return [topics.privateInbox()]
  }
}
