// Pure checks the topic validators add to the envelope verdicts: does a question's scope agree
// with the topic it arrived on, does a channel envelope belong to the channel it arrived on.
// Each returns undefined (fine) or a machine-readable reason.

import type { EnvelopeBase } from '../../envelope/index.ts'
import type { QuestionEnvelope } from '../../envelope/schemas.ts'
import { normalizeScope } from '../../envelope/schemas.ts'
import type { TopicKind } from './topics.ts'

export type ScopeReason = 'wrong-scope'

/**
 * federation-local belongs on its sender's federation topic only; cross-federation on any
 * federation topic (the federations it names are not in the signed envelope); global on the
 * global topic only; private never travels in the clear.
 */
export function checkQuestionScope (q: QuestionEnvelope, at: TopicKind): ScopeReason | undefined {
  const scope = normalizeScope(q.delivery.scope)
  switch (at.kind) {
    case 'federation':
      if (scope === 'federation-local') return q.sender['federation/id'] === at.federation ? undefined : 'wrong-scope'
      return scope === 'cross-federation' ? undefined : 'wrong-scope'
    case 'global':
      return scope === 'global' ? undefined : 'wrong-scope'
    case 'private':
      return scope === 'private' ? undefined : 'wrong-scope'
    default:
      return 'wrong-scope'
  }
}

/** Envelope types a response channel carries (in the clear, or sealed for private questions). */
export const CHANNEL_TYPES = ['swarm/contribution', 'swarm/presence', 'swarm/secretary-claim', 'swarm/summary', 'swarm/close'] as const

/** A channel envelope must name the channel's question. */
export function checkChannelEnvelope (e: EnvelopeBase, questionId: string): 'wrong-channel' | undefined {
  return (e as unknown as { 'question/id'?: string })['question/id'] === questionId ? undefined : 'wrong-channel'
}

/**
 * Where a question delivered directly (not on a topic) would have had to travel, given what the
 * receiver listens to; undefined when the receiver would not listen to any such topic.
 */
export function directArrival (q: QuestionEnvelope, listens: { federations: readonly string[], global: boolean }): TopicKind | undefined {
  const scope = normalizeScope(q.delivery.scope)
  if (scope === 'global') return listens.global ? { kind: 'global' } : undefined
  if (scope === 'private') return { kind: 'private' }
  if (scope === 'federation-local') {
    const f = q.sender['federation/id']
    return listens.federations.includes(f) ? { kind: 'federation', federation: f } : undefined
  }
  // cross-federation: any federation topic the receiver listens on
  const f = listens.federations[0]
  return f === undefined ? undefined : { kind: 'federation', federation: f }
}
