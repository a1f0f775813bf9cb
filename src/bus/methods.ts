// The bus's control methods: ask, questions, show, answer, watch (streaming), close; and, with
// SWARM_BENCH=1 only, the benchmark's hooks (bursts and a raw gossipsub baseline). Parameters
// are parsed by the shared table (src/control/methods/table.ts).

import { performance } from 'node:perf_hooks'
import type { MethodRegistry } from '../control/server.ts'
import { handle } from '../control/methods/index.ts'
import type { QuestionBus } from './service.ts'
import type { AskInit } from './types.ts'
import { burst, rawBurst, rawQuestionBytes, rawSubscribe } from './bench-hooks.ts'

export const BENCH_RAW_TOPIC = 'swarm/1/bench/raw'

export function registerBusMethods (control: MethodRegistry, bus: QuestionBus): void {
  handle(control, 'ask', async (p) => {
    // a sub-question names its parent with a `parent:<question id>` tag: the envelope keeps its exact shape
    const a: AskInit = {
      text: p.text,
      scope: p.scope,
      ttlSec: p.ttlSec,
      urgency: p.urgency,
      tags: p.parent === undefined ? p.tags : [...new Set([...(p.tags ?? []), `parent:${p.parent}`])],
      followUps: p.followUps,
      requireModels: p.requireModels,
      excludeModels: p.excludeModels,
      minReputation: p.minReputation,
      languages: p.languages,
      to: p.to,
      federations: p.federations,
      shadow: p.shadow,
      attachments: p.attachments
    }
    return await bus.ask(a)
  })

  handle(control, 'questions', async (p) => await bus.list({ all: p.all === true, state: p.state }))

  handle(control, 'show', async (p) => await bus.show(p.id))

  handle(control, 'answer', async (p, ctx) => {
    const res = await bus.contribute(p.id, {
      kind: p.kind ?? 'partial-answer',
      text: p.text,
      confidence: p.confidence ?? 0.5,
      sources: p.sources,
      replyTo: p.replyTo,
      // typed by the operator and signed by the node: node-mediated-human unless told otherwise
      origin: p.origin ?? 'node-mediated-human',
      attachments: p.attachments
    }, ctx.signal)
    return { id: res.id, questionId: p.id, envelope: res.envelope }
  })

  handle(control, 'watch', async (p, ctx) => {
    const { timeoutSec } = p
    return await bus.watch(p.id, (e) => { ctx.notify(e) }, {
      signal: ctx.signal,
      untilMs: timeoutSec === undefined ? undefined : Date.now() + timeoutSec * 1000,
      replay: p.replay !== false,
      since: p.since
    })
  })

  handle(control, 'close', async (p) => {
    return await bus.close(p.id, { resolution: p.resolution, accept: p.accept, note: p.note, handedOffTo: p.handedOffTo })
  })

  if (process.env.SWARM_BENCH === '1') registerBenchMethods(control, bus)
}

/** Benchmark hooks: bursts of questions, and raw gossipsub carrying question bytes with no envelope check. */
function registerBenchMethods (control: MethodRegistry, bus: QuestionBus): void {
  handle(control, 'bench.burst', async (p) => {
    return await burst(bus.ctx, p.n ?? 100, p.scope ?? 'global', p.text ?? 'bench question')
  })
  handle(control, 'bench.raw-subscribe', async () => { rawSubscribe(bus.ctx, BENCH_RAW_TOPIC); return { topic: BENCH_RAW_TOPIC } })
  handle(control, 'bench.raw-publish', async (p) => {
    const { id, bytes } = rawQuestionBytes(bus.ctx, p.text ?? 'bench question')
    const t = performance.timeOrigin + performance.now()
    await bus.ctx.c.topics.publish(BENCH_RAW_TOPIC, bytes)
    return { id, t, bytes: bytes.length }
  })
  handle(control, 'bench.raw-burst', async (p) => {
    return await rawBurst(bus.ctx, BENCH_RAW_TOPIC, p.n ?? 100, p.text ?? 'bench question')
  })
}
