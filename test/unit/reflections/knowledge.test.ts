import { describe, expect, it } from 'vitest'
import { mergeKnowledge, parseKnowledgeReply, parseKnowledgeRequest, type KnowledgeWireItem } from '../../../src/reflections/knowledge.ts'
import { MAX_KNOWLEDGE_ITEMS } from '../../../src/reflections/constants.ts'

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))
const ID = (n: number): string => `reflection:01JD${String(n).padStart(22, '0')}`
const item = (n: number, score: number, outcome: 'success' | 'failure' = 'success'): KnowledgeWireItem =>
  ({ id: ID(n), description: `reflection ${n}`, outcome, tags: [], score })

describe('knowledge request', () => {
  it('reads {query, limit} and caps the limit', () => {
    expect(parseKnowledgeRequest(enc({ query: 'trust root', limit: 5 }))).toEqual({ query: 'trust root', limit: 5 })
    expect(parseKnowledgeRequest(enc({ query: 'x', limit: 500 })).limit).toBe(MAX_KNOWLEDGE_ITEMS)
    expect(parseKnowledgeRequest(enc({ query: 'x' })).limit).toBe(MAX_KNOWLEDGE_ITEMS)
  })

  it('refuses garbage', () => {
    for (const bad of ['nope', '[]', 'null', { query: '' }, { query: '   ' }, { query: 3 }, { query: 'x', limit: 0 }, { query: 'x', limit: 1.5 }, { query: 'x'.repeat(2000) }]) {
      expect(() => parseKnowledgeRequest(enc(bad))).toThrow()
    }
    expect(() => parseKnowledgeRequest(new Uint8Array(5000))).toThrow(/over/)
  })
})

describe('knowledge reply', () => {
  it('keeps well-formed items and drops the others one by one', () => {
    const good = item(1, 2.5)
    const res = parseKnowledgeReply({
      from: 'node:b',
      items: [
        good,
        { ...item(2, 1), id: 'question:01JD0000000000000000000000' },
        { ...item(3, 1), outcome: 'maybe' },
        { ...item(4, 1), score: -1 },
        { ...item(5, 1), score: Number.NaN },
        { ...item(6, 1), description: 'x'.repeat(9000) },
        { ...item(7, 1), tags: 'a' },
        { ...item(8, 1), recommendations: [3] },
        good, // repeated id
        'str'
      ]
    }, 'node:b')
    expect(res.items).toEqual([good])
    expect(res.dropped).toBe(9)
  })

  it('drops a whole reply that names another sender or is over the item cap', () => {
    expect(() => parseKnowledgeReply({ from: 'node:c', items: [] }, 'node:b')).toThrow(/sender/)
    expect(() => parseKnowledgeReply({ from: 'node:b', items: Array.from({ length: MAX_KNOWLEDGE_ITEMS + 1 }, (_, i) => item(i, 1)) }, 'node:b')).toThrow(/cap/)
    expect(() => parseKnowledgeReply({ from: 'node:b' }, 'node:b')).toThrow()
    expect(() => parseKnowledgeReply(null, 'node:b')).toThrow()
  })
})

describe('mergeKnowledge', () => {
  it('scales each source by its top score, so corpora of different sizes compare', () => {
    const merged = mergeKnowledge([
      { from: 'node:a', items: [item(1, 10), item(2, 5)] },
      { from: 'node:b', items: [item(3, 0.8), item(4, 0.6)] }
    ], 10)
    expect(merged.map((m) => [m.id, m.score, m.from])).toEqual([
      [ID(3), 1, 'node:b'], // ties at 1: newer id first
      [ID(1), 1, 'node:a'],
      [ID(4), 0.75, 'node:b'],
      [ID(2), 0.5, 'node:a']
    ])
  })

  it('keeps one entry per id: the best copy, with every source', () => {
    const merged = mergeKnowledge([
      { from: 'node:a', items: [item(1, 4), item(2, 2)] },
      { from: 'node:b', items: [item(2, 3), item(9, 1)] },
      { from: 'node:c', items: [{ ...item(2, 1), author: 'node:z' }] }
    ], 10)
    const two = merged.find((m) => m.id === ID(2))
    expect(two).toMatchObject({ from: 'node:b', score: 1, sources: ['node:b', 'node:a', 'node:c'], author: 'node:z' })
    expect(merged.filter((m) => m.id === ID(2))).toHaveLength(1)
  })

  it('puts successes before failures, breaks ties by how many nodes agree, and limits', () => {
    const merged = mergeKnowledge([
      { from: 'node:a', items: [item(1, 9, 'failure'), item(2, 3)] },
      { from: 'node:b', items: [item(3, 1), item(2, 1)] }
    ], 10)
    expect(merged.map((m) => m.id)).toEqual([ID(2), ID(3), ID(1)])
    expect(mergeKnowledge([{ from: 'node:a', items: [item(1, 1), item(2, 1), item(3, 1)] }], 2)).toHaveLength(2)
    expect(mergeKnowledge([], 5)).toEqual([])
  })

  it('gives every item of a zero-score source a zero score (no division by zero)', () => {
    expect(mergeKnowledge([{ from: 'node:a', items: [item(1, 0)] }], 5)[0].score).toBe(0)
  })
})
