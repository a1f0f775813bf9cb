// The reflections service's control methods: `reflect.add|share|unshare|get|search|list` and
// `knowledge`. Parameters are parsed by the shared table (src/control/methods); the service does the work.

import type { MethodRegistry } from '../control/server.ts'
import { handle } from '../control/methods/index.ts'
import { NotFoundError } from '../errors.ts'
import { normalizeOutcome, visibilityOf, type Outcome, type ReflectionRecord } from './model.ts'
import type { ReflectionService } from './service.ts'

/** A record as the control socket shows it: its visibility always, the bulky envelope only when asked. */
export function view (r: ReflectionRecord, withEnvelope = false): Record<string, unknown> {
  const { envelope, ...rest } = r
  const out: Record<string, unknown> = { ...rest, visibility: visibilityOf(r) }
  if (withEnvelope && envelope !== undefined) out.envelope = envelope
  return out
}

/** success | failure (also successful, failed); a bad one is the store's own `bad-outcome`. */
function outcomeOf (v: string | undefined): Outcome | undefined {
  return v === undefined ? undefined : normalizeOutcome(v)
}

export function registerReflectionMethods (control: MethodRegistry, svc: ReflectionService): void {
  handle(control, 'reflect.add', async (params, ctx) => {
    return await svc.addAndMaybeShare({
      description: params.description,
      outcome: params.outcome,
      category: params.category,
      tags: params.tags,
      recommendations: params.recommendations,
      question: params.question,
      share: params.share === true
    }, ctx.signal)
  })
  handle(control, 'reflect.share', async (params, ctx) => await svc.share(params.id, ctx.signal))
  handle(control, 'reflect.unshare', async (params, ctx) => await svc.unshare(params.id, ctx.signal))
  handle(control, 'reflect.get', async (params) => {
    const id = params.id
    const r = await svc.store.get(id)
    if (r === undefined) throw new NotFoundError('reflection', id)
    return view(r, true)
  })
  handle(control, 'reflect.search', async (params, ctx) => {
    const found = await svc.store.search(params.query, {
      tags: params.tags,
      category: params.category,
      outcome: outcomeOf(params.outcome),
      source: params.source,
      limit: params.limit,
      signal: ctx.signal
    })
    return found.map(({ reflection, score }) => ({ ...view(reflection), score: Math.round(score * 1000) / 1000 }))
  })
  handle(control, 'reflect.list', async (params, ctx) => {
    const list = await svc.store.list({
      source: params.source,
      tag: params.tag,
      category: params.category,
      outcome: outcomeOf(params.outcome),
      limit: params.limit,
      after: params.after,
      signal: ctx.signal
    })
    return list.map((r) => view(r))
  })
  handle(control, 'knowledge', async (params, ctx) => {
    const { timeoutSec } = params
    return await svc.knowledge(params.query, {
      limit: params.limit,
      timeoutMs: timeoutSec === undefined ? undefined : timeoutSec * 1000,
      signal: ctx.signal
    })
  })
}
