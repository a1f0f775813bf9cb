// The models this node advertises and is judged on for `models/require` / `models/exclude`: the
// operator's `node.models` plus the model of every `openai` answerer (an endpoint this node
// answers with is a model it runs). One helper so the bus's eligibility check and the tasks
// service's capability advert can never disagree.

import type { SwarmConfig } from './schema.ts'

const norm = (m: string): string => m.replace(/^model:/, '').toLowerCase()

/** `node.models` ∪ the `openai` answerers' models, first spelling kept, order stable. */
export function effectiveModels (config: Pick<SwarmConfig, 'node' | 'answerers'>): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  const add = (m: string): void => {
    const k = norm(m)
    if (k === '' || seen.has(k)) return
    seen.add(k)
    out.push(m)
  }
  for (const m of config.node.models) add(m)
  for (const a of config.answerers) if (a.kind === 'openai') add(a.model)
  return out
}
