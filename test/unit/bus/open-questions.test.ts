// /swarm/open/1.0.0's pure rules: requests are validated (anything else gets a stable reason),
// and a newcomer is only ever told of open questions in the clear whose scope belongs on a topic
// it asked about, newest first, bounded (fast-check).
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OPEN_QUESTIONS_LIMIT, parseOpenRequest, selectOpen, type OpenCandidate } from '../../../src/bus/core/index.ts'
import { buildQuestion, createSigner } from '../../../src/envelope/index.ts'

const fedA = createSigner(randomBytes(32), 'fed:a')
const fedB = createSigner(randomBytes(32), 'fed:b')
const T_A = 'swarm/1/fed/fed:a/questions'
const T_GLOBAL = 'swarm/1/global/questions'
const SCOPES = ['federation-local', 'cross-federation', 'global', 'private'] as const

function candidate (o: { fed: 'a' | 'b', scope: typeof SCOPES[number], ttl: number, closed: boolean, ageSec: number }): OpenCandidate {
  const q = buildQuestion(o.fed === 'a' ? fedA : fedB, { text: 'q', scope: o.scope, ttlSec: o.ttl }, { createdAt: Date.now() - o.ageSec * 1000 })
  return { envelope: q, wire: JSON.stringify(q), closed: o.closed }
}

describe('/swarm/open/1.0.0 rules', () => {
  it('parses well-formed requests and caps the limit', () => {
    expect(parseOpenRequest(JSON.stringify({ topics: [T_A, T_A] }))).toEqual({ topics: [T_A], limit: OPEN_QUESTIONS_LIMIT })
    expect(parseOpenRequest(JSON.stringify({ topics: [T_A], limit: 10_000 }))).toEqual({ topics: [T_A], limit: OPEN_QUESTIONS_LIMIT })
    expect(parseOpenRequest(JSON.stringify({ topics: [T_A], limit: 3 }))).toEqual({ topics: [T_A], limit: 3 })
  })

  it('refuses anything else with a stable reason, never throws', () => {
    expect(parseOpenRequest('{')).toEqual({ error: 'bad-json' })
    for (const bad of [null, [], 1, {}, { topics: [] }, { topics: 'x' }, { topics: [1] }, { topics: [''] }, { topics: ['x'.repeat(300)] },
      { topics: Array(17).fill(T_A) }, { topics: [T_A], limit: 0 }, { topics: [T_A], limit: 1.5 }, { topics: [T_A], extra: 1 }]) {
      expect(parseOpenRequest(JSON.stringify(bad))).toEqual({ error: 'bad-request' })
    }
    fc.assert(fc.property(fc.string(), (s) => {
      const r = parseOpenRequest(s)
      return 'error' in r || (Array.isArray(r.topics) && r.limit >= 1 && r.limit <= OPEN_QUESTIONS_LIMIT)
    }))
  })

  it('lists only open questions in the clear that belong on a requested topic, newest first, bounded', () => {
    const arb = fc.record({ fed: fc.constantFrom('a' as const, 'b' as const), scope: fc.constantFrom(...SCOPES), ttl: fc.integer({ min: 60, max: 600 }), closed: fc.boolean(), ageSec: fc.integer({ min: 0, max: 900 }) })
    fc.assert(fc.property(fc.array(arb, { maxLength: 12 }), fc.subarray([T_A, T_GLOBAL], { minLength: 1 }), fc.integer({ min: 1, max: 8 }), (specs, topics, limit) => {
      const cands = specs.map(candidate)
      const now = Date.now()
      const out = selectOpen(cands, { topics, limit }, now).map((w) => JSON.parse(w))
      expect(out.length).toBeLessThanOrEqual(limit)
      for (const q of out) {
        const c = cands.find((x) => x.envelope.id === q.id)!
        expect(c.closed).toBe(false)
        expect(q.delivery.scope).not.toBe('private')
        expect(Date.parse(q['created-at']) + q['ttl-sec'] * 1000).toBeGreaterThan(now)
        const onA = topics.includes(T_A) && ((q.delivery.scope === 'federation-local' && q.sender['federation/id'] === 'fed:a') || q.delivery.scope === 'cross-federation')
        const onGlobal = topics.includes(T_GLOBAL) && q.delivery.scope === 'global'
        expect(onA || onGlobal).toBe(true)
      }
      for (let i = 1; i < out.length; i++) expect(out[i - 1]['created-at'] >= out[i]['created-at']).toBe(true)
      // nothing that qualifies is left out while there is room
      const qualifying = cands.filter((c) => !c.closed && c.envelope.delivery.scope !== 'private' && Date.parse(c.envelope['created-at']) + c.envelope['ttl-sec'] * 1000 > now &&
        ((topics.includes(T_A) && ((c.envelope.delivery.scope === 'federation-local' && c.envelope.sender['federation/id'] === 'fed:a') || c.envelope.delivery.scope === 'cross-federation')) ||
          (topics.includes(T_GLOBAL) && c.envelope.delivery.scope === 'global')))
      expect(out.length).toBe(Math.min(limit, qualifying.length))
    }), { numRuns: 60 })
  })
})
