// The reflections an operator's command or language model is given as context for a remote
// question: exactly what the reflections answerer could contribute to that question's channel
// (shared reflections within their scope; never local ones), so no answerer is a side door for
// what the operator kept local (DESIGN.md "What leaves a node").

import type { QuestionEnvelope } from '../../envelope/schemas.ts'
import type { KnowledgeSource } from './reflections.ts'

/** One reflection as an answerer sees it. */
export interface ReflectionContext {
  id: string
  description: string
  outcome: 'success' | 'failure'
  recommendations: string[]
  author: string | null
}

export const CONTEXT_REFLECTIONS = 5

/** The servable reflections for `q`, best first; none when there is no source or it fails. */
export async function sharedContext (source: (() => KnowledgeSource | undefined) | undefined, q: QuestionEnvelope, signal: AbortSignal, limit = CONTEXT_REFLECTIONS): Promise<ReflectionContext[]> {
  const src = source?.()
  if (src === undefined) return []
  try {
    const { items } = await src.answerFor(q, { limit, signal })
    return items.map((i) => ({ id: i.id, description: i.description, outcome: i.outcome, recommendations: i.recommendations, author: i.author }))
  } catch {
    return [] // context is a help, never a reason for the answerer to fail
  }
}
