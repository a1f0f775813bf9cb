import { describe, expect, it } from 'vitest'
import { buildContribution, buildQuestion, buildSummary, createSigner } from '../../../src/envelope/index.ts'
import type { ContributionEnvelope } from '../../../src/envelope/schemas.ts'
import type { QuestionNotice } from '../../../src/bus/index.ts'
import { Channel } from '../../../src/bus/core/channel.ts'
import { Counters } from '../../../src/kernel/counters.ts'
import { SwarmEvents } from '../../../src/kernel/events.ts'
import { silentLogger } from '../../../src/kernel/logger.ts'
import { AnswerRunner } from '../../../src/synthesis/runner.ts'
import type { Answerer, Draft } from '../../../src/synthesis/answerers/types.ts'

const asker = createSigner(new Uint8Array(32).fill(1), 'fed:a')
const me = createSigner(new Uint8Array(32).fill(2), 'fed:a')
const question = buildQuestion(asker, { text: 'Q?', scope: 'federation-local', ttlSec: 600, tags: ['trust'] })

function stubBus () {
  const channel: Array<{ envelope: ContributionEnvelope, excluded?: string }> = []
  let listener: ((n: QuestionNotice) => void) | undefined
  return {
    channel,
    notify: (n: QuestionNotice) => listener?.(n),
    onQuestion: (l: (n: QuestionNotice) => void) => { listener = l; return () => { listener = undefined } },
    channelContributions: async () => channel,
    contribute: async (qid: string, c: any) => {
      const e = buildContribution(me, { questionId: qid, kind: c.kind, text: c.text, confidence: c.confidence, sources: c.sources, inReplyTo: c.replyTo, origin: c.origin })
      channel.push({ envelope: e })
      return { id: e.id, envelope: e }
    }
  }
}

function answerer (label: string, fn: (n: number) => Draft[] | Promise<Draft[]>, tags?: string[]): Answerer & { calls: number } {
  const a = { kind: 'command' as const, label, config: { kind: 'command' as const, command: label, ...(tags === undefined ? {} : { tags }) }, calls: 0,
    answer: async () => { a.calls++; return await fn(a.calls) } }
  return a
}

describe('answer runner', () => {
  it('runs serving answerers, isolates failures, posts node-generated drafts once, reruns on clarification', async () => {
    const bus = stubBus()
    const counters = new Counters()
    const good = answerer('good', (n) => n === 1 ? [{ kind: 'fact', text: 'F', confidence: 0.8, sources: [] }] : [{ kind: 'fact', text: 'F', confidence: 0.8, sources: [] }, { kind: 'fact', text: 'G', confidence: 0.6, sources: [] }])
    const bad = answerer('bad', () => { throw Object.assign(new Error('boom'), { code: 'answerer-failed' }) })
    const elsewhere = answerer('other', () => [{ kind: 'fact', text: 'never', confidence: 1, sources: [] }], ['python'])
    const runner = new AnswerRunner({ bus: bus as any, nodeId: me.nodeId, events: new SwarmEvents(), counters, log: silentLogger }, [good, bad, elsewhere])
    runner.start()
    bus.notify({ kind: 'question', question, role: 'receiver' })
    await runner.idle()
    expect(bus.channel.map((c) => [c.envelope.text, c.envelope.origin])).toEqual([['F', 'node-generated']])
    expect(elsewhere.calls).toBe(0)
    expect(runner.numbers).toMatchObject({ runs: 1, posted: 1, failed: 1 })
    // a clarification request is the asker's business; a clarification reruns, only new drafts are posted
    bus.notify({ kind: 'clarification-request', question, role: 'participant' })
    await runner.idle()
    expect(good.calls).toBe(1)
    bus.notify({ kind: 'clarification', question, role: 'participant' })
    await runner.idle()
    expect(bus.channel.map((c) => c.envelope.text)).toEqual(['F', 'G'])
    // the asker's own answerers stay out of its clarifications
    bus.notify({ kind: 'clarification', question, role: 'asker' })
    await runner.idle()
    expect(good.calls).toBe(2)
    await runner.stop()
  })
})

describe('lifecycle phase (derived)', () => {
  it('open → clarifying → answered → summarized → resolved', () => {
    const ch = new Channel(question)
    const now = Date.now()
    const ctx = { now, skewMs: 0 }
    const add = (e: any): void => { ch.admit(e, JSON.stringify(e), ctx) }
    expect(ch.phase(now)).toBe('open')
    const req = buildContribution(me, { questionId: question.id, kind: 'clarification-request', text: 'Which?', confidence: 1 })
    add(req)
    expect(ch.phase(now)).toBe('clarifying')
    add(buildContribution(asker, { questionId: question.id, kind: 'clarification', text: 'v2', confidence: 1, inReplyTo: req.id }))
    expect(ch.phase(now)).toBe('open')
    add(buildContribution(me, { questionId: question.id, kind: 'fact', text: 'F', confidence: 1 }))
    expect(ch.phase(now)).toBe('answered')
    add(buildSummary(asker, { questionId: question.id, status: 'intermediate', uncertainty: 0.5 }))
    expect(ch.phase(now)).toBe('summarized')
    expect(ch.state(now)).toBe('answered')
    add(buildContribution(me, { questionId: question.id, kind: 'hypothesis', text: 'H', confidence: 1 }))
    expect(ch.phase(now)).toBe('answered')
  })
})

describe('effective models', () => {
  it('node.models ∪ openai answerers, deduplicated ignoring the model: prefix', async () => {
    const { effectiveModels } = await import('../../../src/config/models.ts')
    expect(effectiveModels({
      node: { federation: 'fed:a', models: ['model:llama3', 'gpt-x'], languages: ['en'] },
      answerers: [{ kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'llama3' }, { kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'tiny' }, { kind: 'reflections' }]
    })).toEqual(['model:llama3', 'gpt-x', 'tiny'])
  })
})
