// The `reflections` answerer, on by default: what this node learned before, offered to a remote
// question. It only ever sees what may leave the node for that question's channel (DESIGN.md
// "What leaves a node"): shared reflections, to the members of the federation they were shared
// into, or a private question's recipients; a global channel gets none. The reflections service
// decides (`answerFor`); this answerer turns its items into a fact (what happened) and its
// recommendations, citing `reflection:<id>`.

import type { AnswererConfig } from '../../config/schema.ts'
import type { QuestionEnvelope } from '../../envelope/schemas.ts'
import type { KnowledgeResult } from '../../reflections/knowledge.ts'
import { MAX_DRAFT_TEXT, type AnswerInput, type Answerer, type Draft } from './types.ts'

export type ReflectionsAnswererConfig = Extract<AnswererConfig, { kind: 'reflections' }>

/** What this answerer needs of the reflections service. */
export interface KnowledgeSource {
  answerFor: (question: QuestionEnvelope, o: { limit?: number, signal?: AbortSignal }) => Promise<{ items: KnowledgeResult[] }>
}

export const REFLECTIONS_LIMIT = 3

export class ReflectionsAnswerer implements Answerer {
  readonly kind = 'reflections' as const
  readonly label = 'reflections'
  readonly config: ReflectionsAnswererConfig
  private readonly source: () => KnowledgeSource | undefined

  constructor (config: ReflectionsAnswererConfig, source: () => KnowledgeSource | undefined) {
    this.config = config
    this.source = source
  }

  async answer (input: AnswerInput, signal: AbortSignal): Promise<Draft[]> {
    const src = this.source()
    if (src === undefined) return []
    const { items } = await src.answerFor(input.question, { limit: this.config.limit ?? REFLECTIONS_LIMIT, signal })
    return reflectionDrafts(items)
  }
}

/** Pure: knowledge items → drafts. A better match is more confident (0.4 … 0.8). */
export function reflectionDrafts (items: KnowledgeResult[]): Draft[] {
  const out: Draft[] = []
  for (const item of items) {
    const confidence = Math.round((0.4 + 0.4 * Math.max(0, Math.min(1, item.score))) * 1000) / 1000
    const sources = [item.id]
    const text = item.outcome === 'success' ? item.description : `Tried before without success: ${item.description}`
    out.push({ kind: 'fact', text: text.slice(0, MAX_DRAFT_TEXT), confidence, sources })
    if (item.outcome === 'success') {
      for (const r of item.recommendations) if (r.trim() !== '') out.push({ kind: 'recommendation', text: r.trim().slice(0, MAX_DRAFT_TEXT), confidence, sources })
    }
  }
  return out
}
