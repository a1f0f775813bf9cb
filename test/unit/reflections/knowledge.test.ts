import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { mergeKnowledge, parseKnowledgeReply, parseKnowledgeRequest, replyFrame, type KnowledgeWireItem, type VerifyReflection } from '../../../src/reflections/knowledge.ts'
import { buildReflection, createSigner, EnvelopeValidator, senderOf, type ReflectionEnvelope } from '../../../src/envelope/index.ts'
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
    expect(parseKnowledgeRequest(enc({ query: 'x', limit: 2, federation: 'fed:test' }))).toEqual({ query: 'x', limit: 2, federation: 'fed:test' })
  })

  it('refuses garbage', () => {
    for (const bad of ['nope', '[]', 'null', { query: '' }, { query: '   ' }, { query: 3 }, { query: 'x', limit: 0 }, { query: 'x', limit: 1.5 }, { query: 'x'.repeat(2000) }, { query: 'x', federation: 'default' }, { query: 'x', federation: 7 }]) {
      expect(() => parseKnowledgeRequest(enc(bad))).toThrow()
    }
    expect(() => parseKnowledgeRequest(new Uint8Array(5000))).toThrow(/over/)
  })
})

describe('knowledge reply', () => {
  // a responder's key, and a stranger's: envelopes are verified, never taken on the item's word
  const author = createSigner(new Uint8Array(32).fill(0x11), 'fed:test')
  const stranger = createSigner(new Uint8Array(32).fill(0x22), 'fed:test')
  const validator = new EnvelopeValidator({ replayCacheSize: 0 })
  const verify: VerifyReflection = (e) => {
    if (e === null || typeof e !== 'object') return undefined
    const v = validator.validateSync(e, { expectType: 'swarm/reflection', checkExpiry: false })
    return v.ok ? v.envelope as ReflectionEnvelope : undefined
  }
  const env = (text: string, signer = author): ReflectionEnvelope => buildReflection(signer, { category: 'general', description: text, outcome: 'success', recommendations: ['keep both'], tags: ['trust-root'] })
  const wire = (e: ReflectionEnvelope, score = 1): Record<string, unknown> => ({ id: e.id, score, envelope: e })

  it('reads each item from its verified envelope', () => {
    const e = env('rotate the root with overlap')
    const res = parseKnowledgeReply({ from: 'node:b', items: [{ ...wire(e, 2.5), description: 'ignored', author: 'node:x' }] }, 'node:b', verify)
    expect(res.dropped).toBe(0)
    expect(res.items).toEqual([{ id: e.id, description: 'rotate the root with overlap', outcome: 'success', tags: ['trust-root'], recommendations: ['keep both'], score: 2.5, author: author.nodeId, envelope: e }])
  })

  it('drops items whose text or author was swapped, or that are malformed, one by one', () => {
    const good = env('the real text')
    const swappedText = { ...good, description: 'a text the author never signed' }
    const swappedAuthor = { ...good, sender: senderOf(stranger) }
    const otherId = env('another')
    const res = parseKnowledgeReply({
      from: 'node:b',
      items: [
        wire(good),
        wire(swappedText as ReflectionEnvelope),
        wire(swappedAuthor as ReflectionEnvelope),
        { ...wire(otherId), id: good.id }, // the envelope is another reflection
        { id: good.id, score: 1 }, // no envelope
        { ...wire(env('x')), score: -1 },
        { ...wire(env('y')), score: Number.NaN },
        { ...wire(env('z')), id: 'question:01JD0000000000000000000000' },
        wire(good), // repeated id
        'str'
      ]
    }, 'node:b', verify)
    expect(res.items.map((i) => i.description)).toEqual(['the real text'])
    expect(res.dropped).toBe(9)
  })

  it('property: any change to a signed field of the envelope drops the item, the untouched copy is kept', () => {
    const e = env('the signed original text')
    const fields = ['description', 'outcome', 'category', 'tags', 'recommendations', 'created-at', 'id'] as const
    fc.assert(fc.property(fc.constantFrom(...fields), fc.string({ minLength: 1, maxLength: 40 }), (field, junk) => {
      const changed: Record<string, unknown> = { ...e }
      changed[field] = Array.isArray(e[field]) ? [...(e[field] as string[]), junk] : field === 'outcome' ? (e.outcome === 'success' ? 'failure' : 'success') : field === 'created-at' ? '2020-01-01T00:00:00.000Z' : field === 'id' ? 'reflection:01JD00000000000000000000ZZ' : `${String(e[field])}${junk}`
      const res = parseKnowledgeReply({ from: 'node:b', items: [{ id: changed.id, score: 1, envelope: changed }, wire(e)] }, 'node:b', verify)
      return res.dropped === 1 && res.items.length === 1 && res.items[0].description === 'the signed original text'
    }), { numRuns: 100 })
  })

  it('drops a whole reply that names another sender or is over the item cap', () => {
    expect(() => parseKnowledgeReply({ from: 'node:c', items: [] }, 'node:b', verify)).toThrow(/sender/)
    expect(() => parseKnowledgeReply({ from: 'node:b', items: Array.from({ length: MAX_KNOWLEDGE_ITEMS + 1 }, () => wire(env('x'))) }, 'node:b', verify)).toThrow(/cap/)
    expect(() => parseKnowledgeReply({ from: 'node:b' }, 'node:b', verify)).toThrow()
    expect(() => parseKnowledgeReply(null, 'node:b', verify)).toThrow()
  })

  it('sends only signed items, within the limit', () => {
    const e = env('signed')
    const frame = replyFrame([{ ...item(1, 1) }, { ...item(2, 1), id: e.id, envelope: e }, { ...item(3, 1), envelope: env('third') }], 1, 'node:a')
    expect(frame).toEqual({ from: 'node:a', items: [{ id: e.id, score: 1, envelope: e }] })
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
