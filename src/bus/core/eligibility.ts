// Responder filters (models, languages, reputation). `models/require` lists alternatives: a node
// qualifies with at least one of them; `models/exclude`: with none of them; `languages`: at least
// one in common; reputation (in the judging node's view) at least `responder/min-reputation`.
// An empty list does not filter.

import type { QuestionEnvelope } from '../../envelope/schemas.ts'

export interface ResponderProfile {
  models: readonly string[]
  languages: readonly string[]
  /** Undefined: not known to the judge (that filter is not applied). */
  reputation?: number
}

export type Eligibility = { ok: true } | { ok: false, reason: 'filtered-out', detail: string }

const norm = (m: string): string => m.replace(/^model:/, '').toLowerCase()

export function checkEligibility (filters: QuestionEnvelope['filters'], who: ResponderProfile): Eligibility {
  const models = new Set(who.models.map(norm))
  const require = filters['models/require']
  if (require.length > 0 && !require.some((m) => models.has(norm(m)))) {
    return { ok: false, reason: 'filtered-out', detail: `needs one of the models ${require.join(', ')}` }
  }
  const bad = filters['models/exclude'].filter((m) => models.has(norm(m)))
  if (bad.length > 0) return { ok: false, reason: 'filtered-out', detail: `runs excluded model ${bad.join(', ')}` }
  const langs = filters.languages
  if (langs.length > 0) {
    const mine = new Set(who.languages.map((l) => l.toLowerCase()))
    if (!langs.some((l) => mine.has(l.toLowerCase()))) return { ok: false, reason: 'filtered-out', detail: `speaks none of ${langs.join(', ')}` }
  }
  const min = filters['responder/min-reputation']
  if (who.reputation !== undefined && min > 0 && who.reputation < min) {
    return { ok: false, reason: 'filtered-out', detail: `reputation ${who.reputation} < ${min}` }
  }
  return { ok: true }
}
