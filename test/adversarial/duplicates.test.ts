// Byte variants of one envelope are one message. A stranger sends 5,000 whitespace and key-order
// variants of one validly signed question: gossipsub ids derive from the signed content, so the
// daemon validates (and verifies) it once and drops the rest as duplicates before any validator.
// A repeated-name variant sent first cannot shadow the real envelope, and honest traffic flows.
import { afterAll, describe, expect, it } from 'vitest'
import { buildQuestion } from '../../src/envelope/index.ts'
import { eventually } from '../helpers/daemons.ts'
import { hostileArena } from './arena.ts'

const arena = hostileArena('fed:duplicates')
const TOPIC = arena.topic

function variant (env: Record<string, unknown>, i: number): string {
  // key order rotated, spacing after the first brace and inside varies with i
  const keys = Object.keys(env)
  const rotated = Object.fromEntries([...keys.slice(i % keys.length), ...keys.slice(0, i % keys.length)].map((k) => [k, env[k]]))
  return '{' + ' '.repeat(i % 1000) + '\n'.repeat(Math.floor(i / 1000)) + JSON.stringify(rotated, null, i % 3).slice(1)
}

describe('adversarial: duplicates', () => {
  afterAll(async () => { await arena.stop() })

  it('5,000 byte variants of one envelope are validated once; a repeated-name variant does not shadow the real one', async () => {
    // the stranger speaks to A only
    const h = await arena.start(2, 1)
    const [a, b] = arena.daemons
    const before = await a.json(['stats'])
    const acceptedBefore = before.envelopes.accepted['swarm/1/fed'] ?? 0

    const q = buildQuestion(h.signer, { text: 'One question, many spellings?', scope: 'federation-local' }) as unknown as Record<string, unknown>
    const texts = Array.from({ length: 5000 }, (_, i) => variant(q, i))
    expect(new Set(texts).size).toBe(5000)
    for (const t of texts.slice(0, 20)) expect(JSON.parse(t)).toEqual(q)
    for (let i = 0; i < texts.length; i += 250) {
      expect(h.sendManyTo(a.peerId, TOPIC, texts.slice(i, i + 250))).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await eventually(async () => (await b.json(['questions'])).some((x: any) => x.id === q.id), { what: 'the question relayed to B', timeoutMs: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const after = await a.json(['stats'])
    // validated once: one accept; no variant reached a validator (no duplicate, no bad-signature)
    expect((after.envelopes.accepted['swarm/1/fed'] ?? 0) - acceptedBefore).toBe(1)
    expect(after.envelopes.ignored.duplicate ?? 0).toBe(before.envelopes.ignored.duplicate ?? 0)
    expect(after.envelopes.rejected['bad-signature'] ?? 0).toBe(0)
    expect((await a.json(['questions'])).filter((x: any) => x.id === q.id)).toHaveLength(1)

    // a repeated-name variant first (refused as bad-json), then the real envelope: accepted
    const q2 = buildQuestion(h.signer, { text: 'Shadowed?', scope: 'federation-local' })
    const shadow = JSON.stringify(q2).replace('{', '{"question":{"text":"decoy"},')
    expect(JSON.parse(shadow)).toEqual(q2)
    h.sendTo(a.peerId, TOPIC, shadow)
    await eventually(async () => ((await a.json(['stats'])).envelopes.rejected['bad-json'] ?? 0) >= 1, { what: 'repeated names refused' })
    h.sendTo(a.peerId, TOPIC, JSON.stringify(q2))
    await eventually(async () => (await a.json(['questions'])).some((x: any) => x.id === q2.id), { what: 'the real envelope accepted after its shadow' })

    // honest traffic: A's question reaches B
    const honest = await a.json(['ask', 'Honest and spelled once', '--scope', 'federation-local'])
    await eventually(async () => (await b.json(['questions'])).some((x: any) => x.id === honest.id), { what: 'honest question A → B', timeoutMs: 10_000 })
    expect((await a.json(['peers'])).map((p: any) => p.peerId)).toContain(b.peerId)
  })
})
