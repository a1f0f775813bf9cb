// The bus's control methods: ask, questions, show, answer, watch (streaming), close; and, with
// SWARM_BENCH=1 only, the benchmark's hooks (bursts and a raw gossipsub baseline).

import { performance } from 'node:perf_hooks'
import type { MethodRegistry } from '../control/server.ts'
import { CONTRIBUTION_KINDS, ORIGINS, RESOLUTIONS, SCOPES, URGENCIES, attachments as attachmentsSchema } from '../envelope/schemas.ts'
import { UsageError } from '../errors.ts'
import type { QuestionBus } from './service.ts'
import type { AskInit, ContributionKind } from './types.ts'
import { QUESTION_ID, type Scope } from './core/index.ts'
import { burst, rawBurst, rawQuestionBytes, rawSubscribe } from './bench-hooks.ts'

export const BENCH_RAW_TOPIC = 'swarm/1/bench/raw'
type ContributionOrigin = typeof ORIGINS[number]

const str = (v: unknown, name: string, required = false): string | undefined => {
  if (v === undefined || v === null) { if (required) throw new UsageError(`${name} is required`); return undefined }
  if (typeof v !== 'string' || v === '') throw new UsageError(`${name} must be a non-empty string`)
  return v
}
const strs = (v: unknown, name: string): string[] | undefined => {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) throw new UsageError(`${name} must be a list of strings`)
  return v as string[]
}
const num = (v: unknown, name: string, min: number, max: number): number | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new UsageError(`${name} must be a number from ${min} to ${max}`)
  return v
}
/** Attachments named by content id (blob.put gives them); checked against the envelope schema. */
const attached = (v: unknown): Array<{ cid: string, size: number, 'media-type': string, name?: string }> | undefined => {
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return undefined
  const r = attachmentsSchema.safeParse(v)
  if (!r.success) throw new UsageError(`attachments must be a list of {cid, size, media-type, name?}: ${r.error.issues[0]?.message ?? 'bad shape'}`)
  return r.data
}
const oneOf = <T extends string>(v: unknown, name: string, choices: readonly string[]): T | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string' || !choices.includes(v)) throw new UsageError(`${name} must be one of ${choices.join(', ')}`)
  return v as T
}

export function registerBusMethods (control: MethodRegistry, bus: QuestionBus): void {
  control.register('ask', async (p: Record<string, unknown>) => {
    // a sub-question names its parent with a `parent:<question id>` tag: the envelope keeps its exact shape
    const parent = str(p.parent, 'parent')
    if (parent !== undefined && !QUESTION_ID.test(parent)) throw new UsageError(`parent must be a question id, got ${parent}`)
    const tags = strs(p.tags, 'tags')
    const a: AskInit = {
      text: str(p.text, 'text', true) as string,
      scope: oneOf<Scope>(p.scope, 'scope', SCOPES),
      ttlSec: num(p.ttlSec, 'ttlSec', 1, 30 * 86400),
      urgency: oneOf(p.urgency, 'urgency', URGENCIES),
      tags: parent === undefined ? tags : [...new Set([...(tags ?? []), `parent:${parent}`])],
      followUps: typeof p.followUps === 'boolean' ? p.followUps : undefined,
      requireModels: strs(p.requireModels, 'requireModels'),
      excludeModels: strs(p.excludeModels, 'excludeModels'),
      minReputation: num(p.minReputation, 'minReputation', 0, 1),
      languages: strs(p.languages, 'languages'),
      to: strs(p.to, 'to'),
      federations: strs(p.federations, 'federations'),
      shadow: str(p.shadow, 'shadow'),
      attachments: attached(p.attachments)
    }
    if (a.ttlSec !== undefined && !Number.isInteger(a.ttlSec)) throw new UsageError('ttlSec must be a whole number of seconds')
    return await bus.ask(a)
  })

  control.register('questions', async (p: { all?: unknown, state?: unknown }) => await bus.list({ all: p.all === true, state: str(p.state, 'state') }))

  control.register('show', async (p: { id?: unknown }) => await bus.show(str(p.id, 'id', true) as string))

  control.register('answer', async (p: Record<string, unknown>, ctx) => {
    const id = str(p.id, 'id', true) as string
    const res = await bus.contribute(id, {
      kind: oneOf<ContributionKind>(p.kind, 'kind', CONTRIBUTION_KINDS) ?? 'partial-answer',
      text: str(p.text, 'text', true) as string,
      confidence: num(p.confidence, 'confidence', 0, 1) ?? 0.5,
      sources: strs(p.sources, 'sources'),
      replyTo: str(p.replyTo, 'replyTo'),
      // typed by the operator and signed by the node: node-mediated-human unless told otherwise
      origin: oneOf<ContributionOrigin>(p.origin, 'origin', ORIGINS) ?? 'node-mediated-human',
      attachments: attached(p.attachments)
    }, ctx.signal)
    return { id: res.id, questionId: id, envelope: res.envelope }
  })

  control.register('watch', async (p: { id?: unknown, timeoutSec?: unknown, replay?: unknown, since?: unknown }, ctx) => {
    const id = str(p.id, 'id', true) as string
    const timeoutSec = num(p.timeoutSec, 'timeoutSec', 0, 30 * 86400)
    return await bus.watch(id, (e) => { ctx.notify(e) }, {
      signal: ctx.signal,
      untilMs: timeoutSec === undefined ? undefined : Date.now() + timeoutSec * 1000,
      replay: p.replay !== false,
      since: str(p.since, 'since')
    })
  })

  control.register('close', async (p: Record<string, unknown>) => {
    return await bus.close(str(p.id, 'id', true) as string, {
      resolution: oneOf(p.resolution, 'resolution', RESOLUTIONS),
      accept: strs(p.accept, 'accept'),
      note: str(p.note, 'note'),
      handedOffTo: str(p.handedOffTo, 'handedOffTo')
    })
  })

  if (process.env.SWARM_BENCH === '1') registerBenchMethods(control, bus)
}

/** Benchmark hooks: bursts of questions, and raw gossipsub carrying question bytes with no envelope check. */
function registerBenchMethods (control: MethodRegistry, bus: QuestionBus): void {
  control.register('bench.burst', async (p: { n?: unknown, scope?: unknown, text?: unknown }) => {
    return await burst(bus.ctx, num(p.n, 'n', 1, 100_000) ?? 100, oneOf<Scope>(p.scope, 'scope', SCOPES) ?? 'global', str(p.text, 'text') ?? 'bench question')
  })
  control.register('bench.raw-subscribe', async () => { rawSubscribe(bus.ctx, BENCH_RAW_TOPIC); return { topic: BENCH_RAW_TOPIC } })
  control.register('bench.raw-publish', async (p: { text?: unknown }) => {
    const { id, bytes } = rawQuestionBytes(bus.ctx, str(p.text, 'text') ?? 'bench question')
    const t = performance.timeOrigin + performance.now()
    await bus.ctx.c.topics.publish(BENCH_RAW_TOPIC, bytes)
    return { id, t, bytes: bytes.length }
  })
  control.register('bench.raw-burst', async (p: { n?: unknown, text?: unknown }) => {
    return await rawBurst(bus.ctx, BENCH_RAW_TOPIC, num(p.n, 'n', 1, 100_000) ?? 100, str(p.text, 'text') ?? 'bench question')
  })
}
