import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { buildContribution, createSigner } from '../../../src/envelope/index.ts'
import type { ContributionEnvelope } from '../../../src/envelope/schemas.ts'
import { summarize, tokens, jaccard, type ChannelContribution } from '../../../src/synthesis/summary.ts'
import { upheldObjections } from '../../../src/synthesis/outcomes.ts'

const QID = 'question:01JNY6M2X6Y8M1G5R4Z3K7Q2P9'
const signerFor = (n: number): ReturnType<typeof createSigner> => createSigner(new Uint8Array(32).fill(n), 'fed:a')
const alice = signerFor(1)
const bob = signerFor(2)
const carol = signerFor(3)

let ms = Date.parse('2026-03-17T18:42:11Z')
function contrib (who: ReturnType<typeof signerFor>, kind: ContributionEnvelope['kind'], text: string, confidence = 0.8, inReplyTo?: string): ContributionEnvelope {
  ms += 1000
  return buildContribution(who, { questionId: QID, kind, text, confidence, sources: [], inReplyTo }, { createdAt: ms })
}
const ok = (e: ContributionEnvelope, excluded?: string): ChannelContribution => excluded === undefined ? { envelope: e } : { envelope: e, excluded }

describe('summary (pure)', () => {
  it('sorts kinds into sections, cites contributions, lists exclusions and contributors', () => {
    const f = contrib(alice, 'fact', 'Old nodes pin the root key.', 0.9)
    const p = contrib(bob, 'partial-answer', 'A transition period with both roots helps.', 0.6)
    const h = contrib(carol, 'hypothesis', 'Browsers may cache the old root.', 0.5)
    const r = contrib(alice, 'recommendation', 'Cross-sign the new root with the old one.', 0.7)
    const q = contrib(bob, 'clarification-request', 'Which version do you run?', 1)
    const late = contrib(carol, 'fact', 'Too late to count.', 1)
    const out = summarize({ contributions: [ok(f), ok(p), ok(h), ok(r), ok(q), ok(late, 'late')] })
    expect(out.content.facts.map((i) => i.sources)).toEqual([[f.id], [p.id]])
    expect(out.content.hypotheses).toEqual([{ text: h.text, confidence: 0.5, sources: [h.id] }])
    expect(out.content.recommendations).toEqual([{ text: r.text, confidence: 0.7, sources: [r.id] }])
    expect(out.excluded).toEqual([{ contribution: late.id, reason: 'late' }])
    expect(out.contributors).toEqual([alice.nodeId, bob.nodeId, carol.nodeId].sort())
    const cited = [...out.content.facts, ...out.content.hypotheses, ...out.content.recommendations].flatMap((i) => i.sources)
    expect(cited).not.toContain(late.id)
    expect(cited).not.toContain(q.id)
  })

  it('merges near-duplicates keeping all sources; confidence is reputation-weighted', () => {
    const a = contrib(alice, 'fact', 'Old nodes pin the root key.', 0.9)
    const b = contrib(bob, 'fact', 'old nodes pin the root keys', 0.3)
    const out = summarize({ contributions: [ok(a), ok(b)], reputations: { [alice.nodeId]: 0.9, [bob.nodeId]: 0.1 } })
    expect(out.content.facts).toHaveLength(1)
    expect(out.content.facts[0].sources).toEqual([a.id, b.id].sort())
    expect(out.content.facts[0].confidence).toBe(Math.round(((0.9 * 0.9 + 0.1 * 0.3) / 1.0) * 1000) / 1000)
    expect(out.content.facts[0].text).toBe(a.text)
    // a claim and its negation never merge
    const n = contrib(carol, 'fact', 'Old nodes do not pin the root key.', 0.9)
    expect(summarize({ contributions: [ok(a), ok(n)] }).content.facts).toHaveLength(2)
  })

  it('objections lower the item and raise uncertainty; contradictions raise uncertainty', () => {
    const f = contrib(alice, 'fact', 'Rotating the trust root requires restarting every old node.', 0.8)
    const agree = contrib(bob, 'hypothesis', 'Rotating the trust root requires restarting every old node first.', 0.8)
    const disagree = contrib(bob, 'hypothesis', 'Rotating the trust root does not require restarting every old node.', 0.8)
    const r = contrib(carol, 'recommendation', 'Announce the rotation a week ahead.', 0.8)
    const calm = summarize({ contributions: [ok(f), ok(agree), ok(r)] })
    const torn = summarize({ contributions: [ok(f), ok(disagree), ok(r)] })
    expect(torn.content.uncertainty).toBeGreaterThan(calm.content.uncertainty)
    const o = contrib(carol, 'objection', 'That is wrong for v2 nodes.', 1, f.id)
    const objected = summarize({ contributions: [ok(f), ok(agree), ok(r), ok(o)] })
    expect(objected.content.facts[0].confidence).toBe(0.4)
    expect(objected.content.uncertainty).toBeGreaterThan(calm.content.uncertainty)
    // fewer voices, more doubt
    expect(summarize({ contributions: [ok(f)] }).content.uncertainty).toBeGreaterThan(calm.content.uncertainty)
    expect(summarize({ contributions: [] }).content.uncertainty).toBe(1)
  })

  it('sub-question summaries become items citing the summary id, merging with matching claims', () => {
    const f = contrib(alice, 'fact', 'The overlap lasts thirty days.', 0.7)
    const sub = { id: 'summary:01JNY6M2X6Y8M1G5R4Z3K7Q2PA', content: { facts: [{ text: 'The overlap lasts thirty days', confidence: 0.9, sources: ['contribution:01JNY6M2X6Y8M1G5R4Z3K7Q2PB'] }], hypotheses: [], recommendations: [{ text: 'Keep both roots valid.', confidence: 0.6, sources: ['contribution:01JNY6M2X6Y8M1G5R4Z3K7Q2PC'] }] } }
    const out = summarize({ contributions: [ok(f)], subSummaries: [sub] })
    expect(out.content.facts).toEqual([{ text: 'The overlap lasts thirty days', confidence: 0.8, sources: [f.id, sub.id].sort() }])
    expect(out.content.recommendations).toEqual([{ text: 'Keep both roots valid.', confidence: 0.6, sources: [sub.id] }])
  })

  it('tokens and jaccard', () => {
    expect(tokens("Nodes don't pin KEYS")).toEqual(['node', 'not', 'pin', 'key'])
    expect(jaccard(new Set(['a', 'b']), new Set(['a', 'b']))).toBe(1)
    expect(jaccard(new Set(['a']), new Set(['b']))).toBe(0)
  })

  it('upheld objections: accepted objections charge the objected author, not the closer', () => {
    const f = contrib(alice, 'fact', 'X.', 0.8)
    const o = contrib(bob, 'objection', 'Not X.', 0.9, f.id)
    const mine = contrib(carol, 'fact', 'Y.', 0.8)
    const o2 = contrib(bob, 'objection', 'Not Y.', 0.9, mine.id)
    const close = { accepted: [o.id, o2.id, f.id], sender: { 'node/id': carol.nodeId } } as any
    expect(upheldObjections(close, [f, o, mine, o2])).toEqual([{ objection: o.id, target: f.id, author: alice.nodeId }])
  })
})

// property suite: the same contributions give the same bytes, in any order; every item is cited
const kinds: Array<ContributionEnvelope['kind']> = ['fact', 'partial-answer', 'hypothesis', 'recommendation', 'objection', 'clarification-request', 'clarification']
const words = ['root', 'key', 'node', 'old', 'new', 'rotate', 'not', 'pin', 'trust', 'cache']
const pool: ContributionEnvelope[] = []
for (let i = 0; i < 40; i++) {
  const who = [alice, bob, carol][i % 3]
  const text = Array.from({ length: 3 + (i % 4) }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ')
  pool.push(contrib(who, kinds[i % kinds.length], text, ((i * 37) % 101) / 100, i > 4 && i % 5 === 0 ? pool[i - 3].id : undefined))
}

describe('summary properties', () => {
  const arb = fc.tuple(
    fc.uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 0, maxLength: 25 }),
    fc.array(fc.constantFrom<string | undefined>(undefined, undefined, undefined, 'late', 'filtered-out'), { minLength: 25, maxLength: 25 }),
    fc.dictionary(fc.constantFrom(alice.nodeId, bob.nodeId, carol.nodeId), fc.double({ min: 0, max: 1, noNaN: true })),
    fc.integer()
  )

  it('is deterministic under permutation, bounded, and always cites', () => {
    fc.assert(fc.property(arb, ([idx, excl, reps, seed]) => {
      const list = idx.map((i, k) => ok(pool[i], excl[k]))
      const shuffled = [...list].sort((a, b) => ((a.envelope.id.charCodeAt(20) * seed) % 7) - ((b.envelope.id.charCodeAt(20) * seed) % 7))
      const a = summarize({ contributions: list, reputations: reps })
      const b = summarize({ contributions: shuffled.reverse(), reputations: reps })
      expect(JSON.stringify(b)).toBe(JSON.stringify(a))
      const { content } = a
      expect(content.uncertainty).toBeGreaterThanOrEqual(0)
      expect(content.uncertainty).toBeLessThanOrEqual(1)
      const usedIds = new Set(list.filter((c) => c.excluded === undefined).map((c) => c.envelope.id))
      for (const item of [...content.facts, ...content.hypotheses, ...content.recommendations]) {
        expect(item.sources.length).toBeGreaterThan(0)
        for (const s of item.sources) expect(usedIds.has(s)).toBe(true)
        expect(item.confidence).toBeGreaterThanOrEqual(0)
        expect(item.confidence).toBeLessThanOrEqual(1)
      }
      expect(a.excluded.map((x) => x.contribution)).toEqual(list.filter((c) => c.excluded !== undefined).map((c) => c.envelope.id).sort())
    }), { numRuns: 200 })
  })
})
