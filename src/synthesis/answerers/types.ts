// What every answerer is: a plugin that reads a question and the channel so far and drafts
// contributions. Drafts are validated here, in one place, whatever produced them (an operator's
// executable, a language model, the reflection store), before the runner signs and posts them.

import { CONTRIBUTION_ID_PATTERN } from '../../envelope/ids.ts'
import { CONTRIBUTION_KINDS } from '../../envelope/schemas.ts'
import type { ContributionEnvelope, QuestionEnvelope } from '../../envelope/schemas.ts'
import type { AnswererConfig } from '../../config/schema.ts'
import type { ReflectionContext } from './context.ts'

export type ContributionKind = typeof CONTRIBUTION_KINDS[number]

/** A contribution an answerer proposes; the runner signs and posts it. */
export interface Draft {
  kind: ContributionKind
  text: string
  confidence: number
  sources: string[]
  /** A contribution id of the channel this draft answers (objections, clarification requests). */
  replyTo?: string
}

export interface AnswerInput {
  question: QuestionEnvelope
  /** The channel's accepted contributions, in order (the clarification that triggered a rerun included). */
  contributions: ContributionEnvelope[]
  /** Why this run happens: a new question, or a clarification in its channel. */
  trigger: 'question' | 'clarification'
}

/** What a command answerer reads on stdin: the input plus the reflections it may use as context. */
export interface AnswerRequest extends AnswerInput {
  /** Shared reflections servable to this question's channel (answerers/context.ts); never local ones. */
  reflections: ReflectionContext[]
}

export interface Answerer {
  readonly kind: AnswererConfig['kind']
  /** e.g. `command:/usr/local/bin/ask-ops`, for logs and events. */
  readonly label: string
  readonly config: AnswererConfig
  answer: (input: AnswerInput, signal: AbortSignal) => Promise<Draft[]>
}

/** Largest draft text kept (characters); longer texts are cut, the envelope cap is 64 KiB in all. */
export const MAX_DRAFT_TEXT = 8192
/** Most drafts one answerer run may post. */
export const MAX_DRAFTS = 16
const MAX_SOURCES = 32
const MAX_LABEL = 256
const CONTRIBUTION_ID = CONTRIBUTION_ID_PATTERN

export class DraftError extends Error {
  override readonly name = 'DraftError'
}

/**
 * Checks one raw item (`{kind, text, confidence, sources, replyTo?|in-reply-to?}`) and returns the
 * draft, or throws a DraftError saying what is wrong. Text is trimmed and capped.
 */
export function toDraft (raw: unknown): Draft {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new DraftError('an item must be an object')
  const r = raw as Record<string, unknown>
  if (typeof r.kind !== 'string' || !(CONTRIBUTION_KINDS as readonly string[]).includes(r.kind)) throw new DraftError(`kind must be one of ${CONTRIBUTION_KINDS.join(', ')}`)
  if (typeof r.text !== 'string' || r.text.trim() === '') throw new DraftError('text must be a non-empty string')
  const confidence = r.confidence ?? 0.5
  if (typeof confidence !== 'number' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1) throw new DraftError('confidence must be a number in [0,1]')
  const sources = r.sources ?? []
  if (!Array.isArray(sources) || sources.some((s) => typeof s !== 'string' || s === '' || s.length > MAX_LABEL)) throw new DraftError(`sources must be a list of 1–${MAX_LABEL} character strings`)
  const draft: Draft = { kind: r.kind as ContributionKind, text: r.text.trim().slice(0, MAX_DRAFT_TEXT), confidence, sources: [...new Set(sources as string[])].slice(0, MAX_SOURCES) }
  const replyTo = r.replyTo ?? r['in-reply-to']
  if (replyTo !== undefined && replyTo !== null) {
    if (typeof replyTo !== 'string' || !CONTRIBUTION_ID.test(replyTo)) throw new DraftError('replyTo must be a contribution id')
    draft.replyTo = replyTo
  }
  return draft
}

/** Validates a parsed answer (a JSON array of items): good items kept, bad ones reported. */
export function toDrafts (parsed: unknown): { drafts: Draft[], rejected: string[] } {
  if (!Array.isArray(parsed)) throw new DraftError('the answer must be a JSON array of items')
  const drafts: Draft[] = []
  const rejected: string[] = []
  parsed.forEach((item, i) => {
    try {
      if (drafts.length < MAX_DRAFTS) drafts.push(toDraft(item))
      else rejected.push(`item ${i}: more than ${MAX_DRAFTS} items`)
    } catch (err) {
      rejected.push(`item ${i}: ${(err as Error).message}`)
    }
  })
  return { drafts, rejected }
}

/** Whether an answerer serves a question: each of its lists (scopes, tags, urgencies), when given and non-empty, must match. */
export function serves (cfg: AnswererConfig, q: QuestionEnvelope): boolean {
  const scope = q.delivery.scope === 'private-to-swarm' ? 'private' : q.delivery.scope
  // a global or cross-federation channel may be read by anyone: no reflection may be served
  // there (DESIGN.md "What leaves a node"), so the reflections answerer does not even run
  if (cfg.kind === 'reflections' && scope !== 'federation-local' && scope !== 'private') return false
  if (cfg.scopes !== undefined && cfg.scopes.length > 0 && !(cfg.scopes as string[]).includes(scope)) return false
  if (cfg.urgencies !== undefined && cfg.urgencies.length > 0 && !(cfg.urgencies as string[]).includes(q.question.urgency)) return false
  if (cfg.tags !== undefined && cfg.tags.length > 0) {
    const tags = new Set(q.question.tags.map((t) => t.toLowerCase()))
    if (!cfg.tags.some((t) => tags.has(t.toLowerCase()))) return false
  }
  return true
}
