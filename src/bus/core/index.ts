// The bus's pure core, shared by the daemon and the page (src/web/bus-client.ts): channel state
// and the authority rule, eligibility, topic names, admission checks and the question book.
// No node: imports, no timers, no I/O, no libp2p.

export { Channel, ANSWER_KINDS, APPOINT_PREFIX, deadlineOf, isAppointment, resolutionState, type Applied, type Arrival, type ChannelEntry, type ChannelOptions, type Participant, type PresenceRole, type QuestionPhase, type QuestionState, type Role } from './channel.ts'
export { absenceWindowMs, claimRefusal, mayActFor, secretaryAt, type AuthorityView, type ClaimView } from './authority.ts'
export { QuestionBook, takesQuestionId, type BookConfig, type Delivery, type Effect, type Outcome, type QuestionRecord, type Source } from './book.ts'
export { checkEligibility, type Eligibility, type ResponderProfile } from './eligibility.ts'
export { QUESTION_ID, channelTopics, publishTopics, questionSubscriptions, topicKind, type Scope, type SubscriptionConfig, type TopicKind } from './topics.ts'
export { CHANNEL_TYPES, checkChannelEnvelope, checkQuestionScope, directArrival } from './admission.ts'
export { ChannelGaps, GAP_BOUNDS, heads, mergeLogs, missingParents, previousOf, MAX_PREVIOUS, type GapBounds, type LogEntry } from './log.ts'
export { claimDelayMs, isAbsent, MISSED_HEARTBEATS, preferClaim, rankCandidates, rankHash } from './secretary.ts'
export { OPEN_QUESTIONS_BYTES, OPEN_QUESTIONS_LIMIT, PROTOCOL_OPEN_QUESTIONS, onTopics, parseOpenRequest, selectOpen, type OpenCandidate, type OpenRequest } from './open-questions.ts'
