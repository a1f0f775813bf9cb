// Synthesis (issue 8): answerers (reflections, command, openai) run on each eligible question and
// clarification; channels merge into signed summaries; questions decompose into sub-questions;
// outcomes move local reputation.
//
//   const svc = assistanceService(components)     // after the bus and reflections
//   await svc.summarize('question:01J…', { final: true })
//
// Control methods: summarize, decompose, reputation. See docs/assistance.md.

import { AssistanceService, type AssistanceComponents } from './service.ts'

export { AssistanceService, PARENT_TAG, type AssistanceComponents, type DecomposeOptions, type SummarizeOptions } from './service.ts'
export { summarize, tokens, jaccard, type ChannelContribution, type SubSummary, type SummaryContent, type SummaryInput, type SummaryResult } from './summary.ts'
export { AnswerRunner } from './runner.ts'
export { upheldObjections, isInvalidMessage } from './outcomes.ts'
export { ReputationBook, type ReputationRecord } from '../reputation/index.ts'

export function assistanceService (components: AssistanceComponents): AssistanceService {
  return new AssistanceService(components)
}
