// The reflections service's control methods: `reflect.add|share|unshare|get|search|list` and
// `knowledge`. Parameters are checked here; the service does the work.

import type { MethodRegistry } from '../control/server.ts'
import { NotFoundError, UsageError } from '../errors.ts'
import { MAX_KNOWLEDGE_ITEMS, MAX_KNOWLEDGE_TIMEOUT_MS, MAX_QUERY_CHARS } from './constants.ts'
import { normalizeOutcome, visibilityOf, type Outcome, type ReflectionRecord, type ReflectionSource } from './model.ts'
import type { ReflectionService } from './service.ts'

/** A record as the control socket shows it: its visibility always, the bulky envelope only when asked. */
export function view (r: ReflectionRecord, withEnvelope = false): Record<string, unknown> {
  const { envelope, ...rest } = r
  const out: Record<string, unknown> = { ...rest, visibility: visibilityOf(r) }
  if (withEnvelope && envelope !== undefined) out.envelope = envelope
  return out
}

function optionalString (v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new UsageError(`${name} must be a string`)
  return v
}

function optionalStrings (v: unknown, name: string): string[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new UsageError(`${name} must be a list of strings`)
  return v
}

function optionalLimit (v: unknown, max: number): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new UsageError(`limit must be an integer from 1 to ${max}`)
  return v
}

function optionalSource (v: unknown): ReflectionSource | undefined {
  if (v === undefined || v === null) return undefined
  if (v !== 'local' && v !== 'swarm') throw new UsageError('source must be local or swarm')
  return v
}

function optionalOutcome (v: unknown): Outcome | undefined {
  return v === undefined || v === null ? undefined : normalizeOutcome(v)
}

function needId (params: any, method: string): string {
  if (typeof params?.id !== 'string' || params.id === '') throw new UsageError(`${method} needs a reflection id`)
  return params.id
}

export function registerReflectionMethods (control: MethodRegistry, svc: ReflectionService): void {
  control.register('reflect.add', async (params: any, ctx) => {
    if (params === null || typeof params !== 'object') throw new UsageError('reflect.add needs {description, outcome}')
    return await svc.addAndMaybeShare({
      description: params.description,
      outcome: params.outcome,
      category: optionalString(params.category, 'category'),
      tags: optionalStrings(params.tags, 'tags'),
      recommendations: optionalStrings(params.recommendations, 'recommendations'),
      question: optionalString(params.question, 'question'),
      share: params.share === true
    }, ctx.signal)
  })
  control.register('reflect.share', async (params: any, ctx) => await svc.share(needId(params, 'reflect.share'), ctx.signal))
  control.register('reflect.unshare', async (params: any, ctx) => await svc.unshare(needId(params, 'reflect.unshare'), ctx.signal))
  control.register('reflect.get', async (params: any) => {
    const id = needId(params, 'reflect.get')
    const r = await svc.store.get(id)
    if (r === undefined) throw new NotFoundError('reflection', id)
    return view(r, true)
  })
  control.register('reflect.search', async (params: any, ctx) => {
    const query = optionalString(params?.query, 'query')
    if (query === undefined || query.trim() === '') throw new UsageError('reflect.search needs a query')
    const found = await svc.store.search(query, {
      tags: optionalStrings(params.tags, 'tags'),
      category: optionalString(params.category, 'category'),
      outcome: optionalOutcome(params.outcome),
      source: optionalSource(params.source),
      limit: optionalLimit(params.limit, 200),
      signal: ctx.signal
    })
    return found.map(({ reflection, score }) => ({ ...view(reflection), score: Math.round(score * 1000) / 1000 }))
  })
  control.register('reflect.list', async (params: any, ctx) => {
    const list = await svc.store.list({
      source: optionalSource(params?.source),
      tag: optionalString(params?.tag, 'tag'),
      category: optionalString(params?.category, 'category'),
      outcome: optionalOutcome(params?.outcome),
      limit: optionalLimit(params?.limit, 1000),
      after: optionalString(params?.after, 'after'),
      signal: ctx.signal
    })
    return list.map((r) => view(r))
  })
  control.register('knowledge', async (params: any, ctx) => {
    const query = optionalString(params?.query, 'query')
    if (query === undefined || query.trim() === '' || query.length > MAX_QUERY_CHARS) throw new UsageError(`knowledge needs a query of 1..${MAX_QUERY_CHARS} characters`)
    const timeoutSec = params?.timeoutSec
    if (timeoutSec !== undefined && (typeof timeoutSec !== 'number' || !(timeoutSec > 0) || timeoutSec * 1000 > MAX_KNOWLEDGE_TIMEOUT_MS)) {
      throw new UsageError(`timeoutSec must be a number from 0 to ${MAX_KNOWLEDGE_TIMEOUT_MS / 1000}`)
    }
    return await svc.knowledge(query, {
      limit: optionalLimit(params?.limit, MAX_KNOWLEDGE_ITEMS),
      timeoutMs: timeoutSec === undefined ? undefined : timeoutSec * 1000,
      signal: ctx.signal
    })
  })
}
