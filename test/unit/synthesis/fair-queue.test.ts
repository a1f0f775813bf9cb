// The answerer queue: bounded, fair per asker; a flooding asker cannot crowd out an honest one.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildQuestion, createSigner } from '../../../src/envelope/index.ts'
import { Counters } from '../../../src/kernel/counters.ts'
import { SwarmEvents } from '../../../src/kernel/events.ts'
import { silentLogger } from '../../../src/kernel/logger.ts'
import { FairQueue } from '../../../src/synthesis/fair-queue.ts'
import { AnswerRunner } from '../../../src/synthesis/runner.ts'
import type { QuestionNotice } from '../../../src/bus/index.ts'

describe('fair queue', () => {
  it('never holds more than its bounds, serves senders in turn, and keeps a place for a newcomer', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.boolean()), { maxLength: 300 }), (ops) => {
      const q = new FairQueue<string>({ maxTotal: 8, maxPerKey: 3 })
      for (const [key, take] of ops) {
        if (take) q.shift()
        else {
          const before = q.size
          const r = q.push(key, key)
          if (r === 'queued') expect(q.size).toBeLessThanOrEqual(Math.min(8, before + 1))
        }
        expect(q.size).toBeLessThanOrEqual(8)
      }
    }))
    const q = new FairQueue<string>({ maxTotal: 4, maxPerKey: 4 })
    for (let i = 0; i < 10; i++) q.push('flood', `f${i}`)
    expect(q.size).toBe(4)
    // the newcomer pushes out the flood's newest, then is served right after the flood's first
    expect(q.push('honest', 'h')).toBe('queued')
    expect(q.evicted).toBe(1)
    expect([q.shift(), q.shift(), q.shift()]).toEqual(['f0', 'h', 'f1'])
  })
})

describe('answer runner under a question flood', () => {
  it('runs a bounded number of the flooder\'s questions and every honest one', async () => {
    const flooder = createSigner(new Uint8Array(32).fill(7), 'fed:a')
    const honest = createSigner(new Uint8Array(32).fill(8), 'fed:a')
    let listener: ((n: QuestionNotice) => void) | undefined
    const bus = {
      onQuestion: (l: (n: QuestionNotice) => void) => { listener = l; return () => { listener = undefined } },
      channelContributions: async () => [],
      contribute: async () => ({ id: 'contribution:x' })
    }
    const ran: string[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const answerer = {
      kind: 'command' as const, label: 'paid', config: { kind: 'command' as const, command: 'paid' },
      answer: async (input: any) => { ran.push(input.question.sender['node/id']); await gate; return [] }
    }
    const counters = new Counters()
    const runner = new AnswerRunner({ bus: bus as any, nodeId: 'node:me', events: new SwarmEvents(), counters, log: silentLogger }, [answerer])
    runner.start()
    for (let i = 0; i < 1000; i++) listener?.({ kind: 'question', question: buildQuestion(flooder, { text: `spam ${i}` }), role: 'receiver' })
    for (let i = 0; i < 3; i++) listener?.({ kind: 'question', question: buildQuestion(honest, { text: `real ${i}` }), role: 'receiver' })
    expect(runner.queued).toBeLessThanOrEqual(64)
    release()
    await runner.idle()
    expect(ran.filter((s) => s === honest.nodeId)).toHaveLength(3)
    expect(ran.filter((s) => s === flooder.nodeId).length).toBeLessThanOrEqual(2 + 4)
    expect(runner.numbers.dropped).toBeGreaterThanOrEqual(1000 - 6)
    expect(counters.byLabel('assistance.dropped')['sender-full']).toBeGreaterThan(900)
    await runner.stop()
  })
})
