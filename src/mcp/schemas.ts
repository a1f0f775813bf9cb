// Input and output schemas of the MCP tools (zod shapes: the SDK turns them into JSON Schema for
// tools/list and checks every call against them before a handler runs).

import { z } from 'zod'
import { CONTRIBUTION_KINDS, ORIGINS, RESOLUTIONS, SCOPES, URGENCIES } from '../envelope/vocabulary.ts'
import { CONTRIBUTION_ID_PATTERN, QUESTION_ID_PATTERN } from '../envelope/ids.ts'

export { SCOPES } from '../envelope/vocabulary.ts'
export const STATES = ['open', 'answered', 'resolved', 'handed-off', 'expired', 'withdrawn'] as const
const QUESTION_ID = QUESTION_ID_PATTERN
const CONTRIBUTION_ID = CONTRIBUTION_ID_PATTERN

const label = z.string().min(1).max(256)
const questionId = z.string().regex(QUESTION_ID, 'a question id like question:01J…').describe('the question id (question:<ULID>)')
const anyObject = z.record(z.string(), z.any())

export const askInput = {
  text: z.string().min(1).max(16_384).describe('the question'),
  scope: z.enum(SCOPES).optional().describe('who hears it (default federation-local; private needs `to`)'),
  tags: z.array(label).max(64).optional(),
  urgency: z.enum(URGENCIES).optional(),
  ttl: z.number().int().min(1).max(30 * 86400).optional().describe('seconds the asker accepts contributions (default: the node\'s bus.defaultTtlSec)'),
  filters: z.strictObject({
    requireModels: z.array(label).optional(),
    excludeModels: z.array(label).optional(),
    minReputation: z.number().min(0).max(1).optional(),
    languages: z.array(label).optional()
  }).optional().describe('who may answer'),
  to: z.array(label).optional().describe('recipients of a private question (node ids)'),
  federations: z.array(label).optional().describe('other federations of a cross-federation question')
}
export const askOutput = { id: z.string(), scope: z.string(), urgency: z.string(), ttlSec: z.number(), createdAt: z.string(), expiresAt: z.string() }

const contribution = z.object({
  seq: z.number(), id: z.string(), from: z.string(), kind: z.string(), text: z.string(), confidence: z.number(),
  sources: z.array(z.string()), replyTo: z.string().optional(), excluded: z.string().optional()
})
const summary = z.object({ seq: z.number(), id: z.string(), from: z.string(), status: z.string(), content: anyObject })
const close = z.object({ seq: z.number(), id: z.string(), from: z.string(), resolution: z.string(), accepted: z.array(z.string()), note: z.string().optional() })

export const watchInput = {
  id: questionId,
  cursor: z.number().int().min(0).optional().describe('the cursor a previous swarm_watch returned (default 0: from the start)'),
  wait: z.number().min(0).max(600).optional().describe('seconds to wait for something new (default 30)'),
  min: z.number().int().min(1).max(1000).optional().describe('return once this many new contributions arrived (default 1)')
}
export const watchOutput = {
  id: z.string(),
  state: z.string(),
  closed: z.boolean(),
  cursor: z.number().describe('pass it to the next swarm_watch to get only what follows'),
  contributions: z.array(contribution),
  summaries: z.array(summary),
  close: close.optional()
}

export const answerInput = {
  id: questionId,
  text: z.string().min(1).max(16_384),
  kind: z.enum(CONTRIBUTION_KINDS).optional().describe('default partial-answer'),
  confidence: z.number().min(0).max(1).optional().describe('how sure, 0..1 (default 0.5)'),
  sources: z.array(label).max(64).optional(),
  replyTo: z.string().regex(CONTRIBUTION_ID, 'a contribution id').optional().describe('the contribution this answers'),
  'reply-to': z.string().regex(CONTRIBUTION_ID, 'a contribution id').optional().describe('the same as replyTo'),
  origin: z.enum(ORIGINS).optional().describe('default node-generated (an agent wrote it)')
}
export const answerOutput = { id: z.string(), questionId: z.string() }

export const summarizeInput = { id: questionId, final: z.boolean().optional().describe('the final summary (asker or acting secretary only)') }
export const summarizeOutput = {
  id: z.string(), questionId: z.string(), status: z.string(),
  facts: z.array(anyObject), hypotheses: z.array(anyObject), recommendations: z.array(anyObject),
  uncertainty: z.number(), contributors: z.array(z.string()), excluded: z.array(anyObject)
}

export const closeInput = {
  id: questionId,
  resolution: z.enum(RESOLUTIONS).optional(),
  accept: z.array(z.string().regex(CONTRIBUTION_ID, 'a contribution id')).optional().describe('the contributions accepted as the answer'),
  note: z.string().max(4096).optional()
}
export const closeOutput = { id: z.string(), state: z.string(), closeId: z.string() }

export const questionsInput = {
  all: z.boolean().optional().describe('also own, closed and filtered-out questions (default: open questions this node may answer)'),
  state: z.enum(STATES).optional()
}
const questionRow = z.object({
  id: z.string(), text: z.string(), scope: z.string(), urgency: z.string(), state: z.string(), role: z.string(),
  contributions: z.number(), expiresAt: z.string(), createdAt: z.string(), from: z.string(), eligible: z.boolean()
})
export const questionsOutput = { questions: z.array(questionRow) }

export const taskRunInput = {
  type: label.describe('the task type, e.g. python-computation'),
  data: anyObject.optional().describe('the task\'s input, e.g. {"code": "print(6*7)"}'),
  peer: label.optional().describe('a peer id or node id to run it on'),
  timeoutSec: z.number().gt(0).max(3600).optional()
}
export const taskRunOutput = {
  success: z.boolean(), correlationId: z.string(), executedBy: z.string().optional(), attempts: z.number(),
  durationMs: z.number().optional(), result: anyObject.optional(), error: z.object({ code: z.string(), message: z.string() }).optional()
}

export const reflectAddInput = {
  description: z.string().min(1).max(16_384),
  outcome: z.enum(['success', 'failure']),
  category: label.optional(),
  tags: z.array(label).max(64).optional(),
  recommendations: z.array(z.string().min(1).max(4096)).max(256).optional(),
  share: z.boolean().optional().describe('share it with the federation (it stays local otherwise)')
}
export const reflectAddOutput = { id: z.string(), outcome: z.string(), category: z.string(), tags: z.array(z.string()), createdAt: z.string(), shared: z.boolean() }

export const knowledgeInput = {
  query: z.string().min(1).max(1024),
  limit: z.number().int().min(1).max(20).optional()
}
export const knowledgeOutput = {
  query: z.string(),
  items: z.array(anyObject),
  peers: z.object({ asked: z.number(), answered: z.number(), failed: z.array(anyObject) })
}
