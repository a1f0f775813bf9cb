// The channel log's chain (src/bus/core/log.ts): merge and gap detection over random logs
// (fast-check), the bounds that keep a hostile `previous` from causing unbounded fetching, and
// the `previous` field in the envelope schemas (signed, bounded, optional).

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { buildContribution, buildPresence, createSigner, EnvelopeValidator } from '../../../src/envelope/index.ts'
import { contributionSchema } from '../../../src/envelope/schemas.ts'
import { ChannelGaps, heads, MAX_PREVIOUS, mergeLogs, missingParents, type LogEntry } from '../../../src/bus/core/index.ts'

const ULID_CHARS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const idOf = (n: number): string => `contribution:${String(n).padStart(10, '0').split('').map((d) => ULID_CHARS[Number(d)]).join('')}${'0'.repeat(16)}`

/**
 * A random closed log: envelope i names up to 8 earlier envelopes as `previous` (as authors
 * that had seen them would), so every id named is in the log.
 */
const closedLog = fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(
  ...Array.from({ length: n }, (_, i) => fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : Math.min(MAX_PREVIOUS, i) }))
).map((parents) => parents.map((ps, i): LogEntry => ({ id: idOf(i), envelope: ps.length === 0 ? {} : { previous: ps.map(idOf) } }))))

const shuffled = <T>(xs: readonly T[], seed: number): T[] => {
  const out = [...xs]
  let s = seed >>> 0
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1664525 + 1013904223) >>> 0
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

describe('channel log: merge and gap detection (properties)', () => {
  it('a closed log has no gaps, in any order', () => {
    fc.assert(fc.property(closedLog, fc.integer(), (log, seed) => {
      expect(missingParents(shuffled(log, seed))).toEqual([])
    }))
  })

  it('dropping envelopes: the gaps are exactly the dropped ones still named by a held one', () => {
    fc.assert(fc.property(closedLog, fc.array(fc.boolean(), { maxLength: 60 }), (log, drop) => {
      const held = log.filter((_, i) => drop[i] !== true)
      const dropped = new Set(log.filter((_, i) => drop[i] === true).map((e) => e.id))
      const named = new Set(held.flatMap((e) => (e.envelope as { previous?: string[] }).previous ?? []))
      expect(missingParents(held)).toEqual([...dropped].filter((id) => named.has(id)).sort())
    }))
  })

  it('merging two parts of a log in either order gives the same log and the same gaps; merging the parts of a split gives back the whole', () => {
    fc.assert(fc.property(closedLog, fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 60 }), fc.integer(), (log, side, seed) => {
      // 0: only in a, 1: only in b, 2: in both
      const a = log.filter((_, i) => (side[i] ?? 2) !== 1)
      const b = log.filter((_, i) => (side[i] ?? 2) !== 0)
      const ab = mergeLogs(shuffled(a, seed), b)
      const ba = mergeLogs(b, shuffled(a, seed + 1))
      expect(ab.map((e) => e.id)).toEqual(ba.map((e) => e.id))
      expect(missingParents(ab)).toEqual(missingParents(ba))
      expect(ab.map((e) => e.id)).toEqual(mergeLogs(log, []).map((e) => e.id))
      expect(missingParents(ab)).toEqual([])
      // merging is idempotent
      expect(mergeLogs(ab, ab).map((e) => e.id)).toEqual(ab.map((e) => e.id))
    }))
  })

  it('heads are held, bounded, never named by a held envelope, and a log with a new envelope naming them has the same gaps', () => {
    fc.assert(fc.property(closedLog, fc.integer(), (log, seed) => {
      const order = shuffled(log, seed)
      const h = heads(order)
      expect(h.length).toBeLessThanOrEqual(MAX_PREVIOUS)
      expect(new Set(h).size).toBe(h.length)
      const ids = new Set(log.map((e) => e.id))
      for (const id of h) expect(ids.has(id)).toBe(true)
      const named = new Set(log.flatMap((e) => (e.envelope as { previous?: string[] }).previous ?? []))
      for (const id of h) expect(named.has(id)).toBe(false)
      const next = [...order, { id: idOf(999_999), envelope: h.length === 0 ? {} : { previous: h } }]
      expect(missingParents(next)).toEqual([])
    }))
  })
})

describe('channel log: bounded gap tracking', () => {
  it('names ids that never exist: each is asked for at most maxAttempts rounds, then given up and never asked again', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: MAX_PREVIOUS }), { maxLength: 200 }), (batches) => {
      const bounds = { maxMissing: 64, maxDepth: 16, maxAttempts: 3, maxGivenUp: 1024 }
      const gaps = new ChannelGaps(bounds)
      const asked = new Map<string, number>()
      const none = (): boolean => false
      for (const b of batches) {
        gaps.noted(b.map(idOf), 0, none)
        expect(gaps.size).toBeLessThanOrEqual(bounds.maxMissing)
        for (const id of gaps.due()) asked.set(id, (asked.get(id) ?? 0) + 1)
        gaps.settle(none)
      }
      for (let i = 0; i < bounds.maxAttempts; i++) { for (const id of gaps.due()) asked.set(id, (asked.get(id) ?? 0) + 1); gaps.settle(none) }
      expect(gaps.size).toBe(0)
      for (const n of asked.values()) expect(n).toBeLessThanOrEqual(bounds.maxAttempts)
    }))
  })

  it('a chain of fetched parents is followed no deeper than maxDepth', () => {
    const gaps = new ChannelGaps({ maxMissing: 64, maxDepth: 4, maxAttempts: 3, maxGivenUp: 16 })
    const none = (): boolean => false
    let depth = 0
    let id = idOf(0)
    let followed = 0
    gaps.noted([id], depth, none)
    for (let i = 1; i < 100; i++) {
      if (gaps.size === 0) break
      // the parent arrives and names its own parent
      depth = gaps.depthOf(id)
      gaps.held(id)
      followed++
      id = idOf(i)
      gaps.noted([id], depth, none)
    }
    expect(followed).toBe(4)
  })

  it('an id that arrives is no longer a gap', () => {
    const gaps = new ChannelGaps()
    const held = new Set<string>()
    gaps.noted([idOf(1), idOf(2)], 0, (x) => held.has(x))
    held.add(idOf(1))
    gaps.held(idOf(1))
    expect(gaps.due()).toEqual([idOf(2)])
    held.add(idOf(2))
    gaps.settle((x) => held.has(x))
    expect(gaps.size).toBe(0)
  })
})

describe('previous in the envelope schemas', () => {
  const signer = createSigner(randomBytes(32), 'fed:a')
  const qid = 'question:01JB0000000000000000000000'
  const validator = (): EnvelopeValidator => new EnvelopeValidator({ replayCacheSize: 0 })

  it('is signed, optional, and bounded to MAX_PREVIOUS distinct channel envelope ids', () => {
    const ids = Array.from({ length: MAX_PREVIOUS }, (_, i) => idOf(i))
    const ok = buildContribution(signer, { questionId: qid, kind: 'fact', text: 't', confidence: 0.5 }, { previous: ids })
    expect(ok.previous).toEqual(ids)
    expect(validator().validateSync(JSON.stringify(ok)).ok).toBe(true)
    // old envelopes without it stay valid, and an empty list leaves the field out
    const old = buildPresence(signer, { questionId: qid, event: 'join', role: 'watcher' }, { previous: [] })
    expect('previous' in old).toBe(false)
    expect(validator().validateSync(JSON.stringify(old)).ok).toBe(true)
    // changing it breaks the signature
    const tampered = { ...ok, previous: ids.slice(1) }
    expect(validator().validateSync(JSON.stringify(tampered))).toMatchObject({ ok: false, reason: 'bad-signature' })
    // the schema refuses more than MAX_PREVIOUS, repeats and ids that are not channel envelopes (the builder too)
    for (const bad of [[...ids, idOf(99)], [ids[0], ids[0]], ['task:01JB0000000000000000000000'], []]) {
      expect(contributionSchema.safeParse({ ...ok, previous: bad }).success).toBe(false)
      if (bad.length > 0) expect(() => buildContribution(signer, { questionId: qid, kind: 'fact', text: 't', confidence: 0.5 }, { previous: bad })).toThrow(/previous/)
    }
  })
})
