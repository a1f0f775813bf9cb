// The question bus (issue 4): questions on scoped gossipsub topics, response channels with
// presence, secretary and shadow, TTL, history backfill, and sealed private questions.
//
//   const bus = questionBus(components)        // a SwarmService; the daemon starts it
//   const { id } = await bus.ask({ text: 'How do I rotate a trust root?', scope: 'federation-local' })
//   bus.onQuestion((n) => …)                   // new eligible questions, clarifications
//   await bus.contribute(id, { kind: 'fact', text: '…', confidence: 0.8 })
//
// Control methods: ask, questions, show, answer, watch (stream), close. Events: question:received,
// question:asked, contribution, question:state, secretary:changed.

import { QuestionBus, type BusComponents } from './service.ts'

export { QuestionBus, type AskInit, type BusComponents, type ChannelEvent, type ContributeInit, type ContributionKind, type QuestionNotice } from './service.ts'
export { Channel, type ChannelEntry, type QuestionState, type Role } from './channel.ts'
export { checkEligibility, type Eligibility, type ResponderProfile } from './eligibility.ts'
export { ChannelStore, type QuestionRecord } from './history.ts'
export { seal, open, createOpener, isRecipient, SEALED_TYPE, type SealedEnvelope, type SealedPayload } from './private.ts'
export { publishTopics, questionSubscriptions, topicKind, type Scope } from './topics.ts'
export { checkQuestionScope, checkChannelEnvelope } from './validator.ts'

export function questionBus (components: BusComponents): QuestionBus {
  return new QuestionBus(components)
}
