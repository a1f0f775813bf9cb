// Benchmark hooks (SWARM_BENCH=1 only, registered by methods.ts): bursts of questions, and raw
// gossipsub carrying a question's bytes with no envelope check, the baseline the bus is
// measured against.

import { performance } from 'node:perf_hooks'
import { buildQuestion } from '../envelope/index.ts'
import { publishTopics, type Scope } from './core/index.ts'
import { hrNow, type BusContext } from './context.ts'

const encoder = new TextEncoder()

/** Publishes `n` questions as fast as the node can. */
export async function burst (ctx: BusContext, n: number, scope: Scope, text: string): Promise<{ ids: string[], ms: number }> {
  const ids: string[] = []
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const q = buildQuestion(ctx.c.identity, { text, scope, ttlSec: 600 })
    ctx.validator.remember(q)
    ids.push(q.id)
    await ctx.c.topics.publish(publishTopics(scope, ctx.c.identity.federation)[0], encoder.encode(JSON.stringify(q)))
  }
  return { ids, ms: performance.now() - t0 }
}

/** Routes and subscribes the benchmark's raw topic: accepted unchecked, receipt announced as `bench:raw`. */
export function rawSubscribe (ctx: BusContext, topic: string): void {
  if (ctx.c.topics.subscribed(topic)) return
  const decoder = new TextDecoder()
  ctx.c.topics.route(topic, {
    validate: (data: Uint8Array) => ({ action: 'accept', value: data }),
    deliver: async (data: Uint8Array) => {
      await null
      const m = /"id":"([^"]+)"/.exec(decoder.decode(data.subarray(0, 200)))
      ctx.c.events.emit('bench:raw', { id: m?.[1] ?? null, t: hrNow() })
    }
  })
  ctx.c.topics.subscribe(topic)
}

/** A raw gossipsub message carrying a fresh question's bytes, not validated. */
export function rawQuestionBytes (ctx: BusContext, text: string): { id: string, bytes: Uint8Array } {
  const q = buildQuestion(ctx.c.identity, { text, scope: 'global', ttlSec: 600 })
  return { id: q.id, bytes: encoder.encode(JSON.stringify(q)) }
}

/** Publishes `n` fresh questions' bytes on the raw topic as fast as the node can (the same build
 *  and sign as `burst`): the raw gossipsub delivery rate the ingest figure is measured against. */
export async function rawBurst (ctx: BusContext, topic: string, n: number, text: string): Promise<{ ms: number }> {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await ctx.c.topics.publish(topic, rawQuestionBytes(ctx, text).bytes)
  return { ms: performance.now() - t0 }
}
