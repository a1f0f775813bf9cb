// The question bus (issue 4): questions on scoped gossipsub topics, response channels with
// presence, secretary and shadow, TTL, history backfill, and sealed private questions.
//
//   const bus = questionBus(components)        // a SwarmService; the daemon starts it
//   const { id } = await bus.ask({ text: 'How do I rotate a trust root?', scope: 'federation-local' })
//   bus.onQuestion((n) => …)                   // new eligible questions, clarifications
//   await bus.contribute(id, { kind: 'fact', text: '…', confidence: 0.8 })
//
// The rules live in core/ (pure, shared with the page); the shell around it is cut by job:
// inbox.ts, outbox.ts, delivery.ts (every delivery timer and workaround), watchdog.ts, effects.ts,
// views.ts, repository.ts, and the façade service.ts.
//
// Control methods: ask, questions, show, answer, watch (stream), close. Events: question:received,
// question:asked, contribution, summary:received, question:state, secretary:changed.

import { QuestionBus, type BusComponents } from './service.ts'

export { QuestionBus, type BusComponents } from './service.ts'
export type { AskInit, ChannelEvent, ContributeInit, ContributionKind, QuestionNotice } from './types.ts'
export { Channel, checkEligibility, publishTopics, questionSubscriptions, topicKind, checkQuestionScope, checkChannelEnvelope, type ChannelEntry, type Eligibility, type QuestionRecord, type QuestionState, type ResponderProfile, type Role, type Scope } from './core/index.ts'
export { ChannelStore } from './repository.ts'
export { seal, open, createOpener, isRecipient, SEALED_TYPE, type SealedEnvelope, type SealedPayload } from './private.ts'

/** What synthesis uses of the bus: handed in at construction instead of found in the services map. */
export type SynthesisBus = Pick<QuestionBus, 'resolve' | 'show' | 'channelContributions' | 'stoodFor' | 'publishSummary' | 'ask' | 'join' | 'onQuestion' | 'contribute' | 'store'>

export function questionBus (components: BusComponents): QuestionBus {
  return new QuestionBus(components)
}
