// Builders, the catalogue and signing: every builder yields an envelope its schema accepts, in
// the Orbiplex shape.
import { describe, expect, it } from 'vitest'
import { SCOPES as CLI_SCOPES, URGENCIES as CLI_URGENCIES } from '../../../src/cli/question-options.ts'
import {
  buildClose, buildContribution, buildEnvelope, buildQuestion, buildTaskResponse, catalogue, createSigner, defineEnvelopeType, envelopeSigningInput, ENVELOPE_TYPES,
  EnvelopeValidator, formatTimestamp, isTimestamp, normalizeScope, SCOPES, signEnvelope, URGENCIES, envelopeSchema, bytesToHex, signingInput, encodeSignature
} from '../../../src/envelope/index.ts'
import { z } from 'zod'
import fc from 'fast-check'
import { arbEnvelope, NOW, signerA, signerB } from './arbitraries.ts'

// The example from seeds/003 (Orbiplex, "Swarm Broadcast Assistance"), verbatim but for the
// sender and signature, which the seed abbreviates.
const SEED_EXAMPLE = {
  type: 'swarm/question',
  id: 'question:01JNY6M2X6Y8M1G5R4Z3K7Q2P9',
  sender: { 'node/id': 'node:pl-wro-7f3c', 'federation/id': 'fed:orbiplex-pl', pubkey: 'ed25519:9f2e5b5c4d...' },
  'created-at': '2026-03-17T18:42:11Z',
  'ttl-sec': 1800,
  question: {
    text: 'What is the safest way to rotate a federation-wide trust root without breaking older nodes?',
    tags: ['trust', 'rotation', 'backward-compatibility', 'federation'],
    urgency: 'normal'
  },
  delivery: { scope: 'federation-local', 'response-channel/id': 'question:01JNY6M2X6Y8M1G5R4Z3K7Q2P9', 'response-channel/mode': 'federation', 'follow-ups?': true },
  filters: { 'models/require': ['model:claude-sonnet-4.5', 'model:gpt-5'], 'models/exclude': ['model:legacy-router-v1'], 'responder/min-reputation': 0.78, languages: ['en', 'pl'] },
  reward: { kind: 'tbd', amount: null },
  signature: { alg: 'ed25519', value: 'base64url:MEYCIQDf...' }
}

describe('the question envelope', () => {
  it('the seed example, signed by a real key, is a valid question', () => {
    const env = signEnvelope({ ...SEED_EXAMPLE, sender: { 'node/id': signerA.nodeId, 'federation/id': 'fed:orbiplex-pl', pubkey: signerA.pubkey } } as any, signerA)
    const verdict = new EnvelopeValidator({ now: () => Date.parse('2026-03-17T18:43:00Z') }).validateSync(JSON.stringify(env))
    expect(verdict.ok).toBe(true)
    expect(Object.keys(env)).toEqual(Object.keys(SEED_EXAMPLE))
  })

  it('buildQuestion writes the seed\'s shape, key for key', () => {
    const q = buildQuestion(signerA, {
      text: SEED_EXAMPLE.question.text, tags: SEED_EXAMPLE.question.tags, requireModels: ['model:gpt-5'], excludeModels: ['model:x'], minReputation: 0.78,
      languages: ['en', 'pl'], createdAt: '2026-03-17T18:42:11Z'
    })
    const shape = (v: unknown): unknown => typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)])) : typeof v
    expect(shape(q)).toEqual({ ...shape(SEED_EXAMPLE) as object, reward: { kind: 'string', amount: 'object' } })
    expect(q.id).toMatch(/^question:[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(q.delivery['response-channel/id']).toBe(q.id)
    expect(q['created-at']).toBe('2026-03-17T18:42:11Z')
    expect(q.sender).toEqual({ 'node/id': signerA.nodeId, 'federation/id': 'fed:orbiplex-pl', pubkey: signerA.pubkey })
    expect(q.signature.value).toMatch(/^base64url:[A-Za-z0-9_-]{86}$/)
    // the ULID carries the creation time
    expect(q.id.slice(9, 19)).toBe(buildQuestion(signerA, { text: 'x', createdAt: '2026-03-17T18:42:11Z' }).id.slice(9, 19))
  })

  it('maps scope to channel mode; private-to-swarm is private', () => {
    expect(buildQuestion(signerA, { text: 'x', scope: 'global' }).delivery['response-channel/mode']).toBe('global')
    const p = buildQuestion(signerA, { text: 'x', scope: 'private-to-swarm' })
    expect(p.delivery.scope).toBe('private')
    expect(normalizeScope('private-to-swarm')).toBe('private')
    expect(normalizeScope('nowhere')).toBeUndefined()
    expect(() => buildQuestion(signerA, { text: 'x', scope: 'nowhere' })).toThrow(/scope/)
  })

  it('an Orbiplex envelope saying private-to-swarm validates as is', () => {
    const env = signEnvelope({ ...SEED_EXAMPLE, sender: undefined, delivery: { ...SEED_EXAMPLE.delivery, scope: 'private-to-swarm' } } as any, signerA)
    expect(new EnvelopeValidator({ now: () => Date.parse('2026-03-17T18:43:00Z') }).validateSync(env).ok).toBe(true)
  })
})

describe('builders', () => {
  it('every builder yields what the catalogue schema accepts', () => {
    fc.assert(fc.property(arbEnvelope(signerB), (env) => {
      const row = catalogue.get(env.type)!
      expect(row.schema.safeParse(env).success).toBe(true)
      expect(env.id.startsWith(`${row.idKind}:`)).toBe(true)
      expect(Object.keys(env)[0]).toBe('type')
      expect(Object.keys(env).at(-1)).toBe('signature')
    }), { numRuns: 300 })
  })

  it('omits optional fields left undefined', () => {
    const c = buildContribution(signerA, { questionId: buildQuestion(signerA, { text: 'x' }).id, kind: 'fact', text: 't', confidence: 0.5 })
    expect('in-reply-to' in c).toBe(false)
    const close = buildClose(signerA, { questionId: c['question/id'], resolution: 'withdrawn' })
    expect(Object.keys(close)).not.toContain('note')
  })

  it('refuses to sign what its schema rejects', () => {
    expect(() => buildContribution(signerA, { questionId: 'question:nope', kind: 'fact', text: 't', confidence: 0.5 })).toThrow(/question\/id/)
    expect(() => buildTaskResponse(signerA, { correlationId: 'c', success: false, executedBy: '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA', durationMs: 1 })).toThrow(/error/)
    expect(() => buildEnvelope('swarm/nope', {}, signerA)).toThrow(/unknown envelope type/)
    const q = buildQuestion(signerA, { text: 'x' })
    expect(() => signEnvelope(q, signerB)).toThrow(/signer's key/)
  })

  it('signEnvelope replaces an old signature and covers everything but it', () => {
    const q = buildQuestion(signerA, { text: 'x' })
    const again = signEnvelope({ ...q, question: { ...q.question, text: 'y' } }, signerA)
    expect(again.signature.value).not.toBe(q.signature.value)
    expect(bytesToHex(envelopeSigningInput(again))).toBe(bytesToHex(signingInput('swarm/question.v1', again)))
    expect(signerA.sign(envelopeSigningInput(again))).toEqual(signerA.sign(signingInput('swarm/question.v1', { ...again, signature: encodeSignature(new Uint8Array(64)) })))
  })
})

describe('the catalogue', () => {
  it('has every type of the wire contract with its domain and id kind', () => {
    expect(ENVELOPE_TYPES).toEqual([
      'swarm/question', 'swarm/contribution', 'swarm/presence', 'swarm/secretary-claim', 'swarm/summary', 'swarm/close',
      'swarm/capability-advert', 'swarm/reflection', 'swarm/proposal', 'swarm/vote', 'swarm/task-request', 'swarm/task-response'
    ])
    const kinds = Object.fromEntries([...catalogue.values()].map((r) => [r.type, [r.idKind, r.domain, r.maxBytes, r.expiresAt !== undefined]]))
    expect(kinds['swarm/question']).toEqual(['question', 'swarm/question.v1', 65536, true])
    expect(kinds['swarm/secretary-claim']).toEqual(['claim', 'swarm/secretary-claim.v1', 65536, false])
    expect(kinds['swarm/capability-advert']).toEqual(['advert', 'swarm/capability-advert.v1', 65536, true])
    expect(kinds['swarm/task-response']).toEqual(['task-result', 'swarm/task-response.v1', 65536, false])
  })

  it('takes a new type in one call, and the validator and builders use it', () => {
    const validator = new EnvelopeValidator({ now: () => NOW })
    const signer = createSigner(new Uint8Array(32).fill(3))
    defineEnvelopeType({ type: 'test/membership', idKind: 'membership', schema: envelopeSchema('test/membership', 'membership', { member: z.string() }), maxBytes: 1024 })
    try {
      const env = buildEnvelope('test/membership', { member: 'node:x' }, signer, { createdAt: NOW })
      expect(validator.validateSync(env).ok).toBe(true)
      const big = buildEnvelope('test/membership', { member: 'm'.repeat(2000) }, signer, { createdAt: NOW })
      expect(validator.validateSync(big)).toMatchObject({ ok: false, reason: 'too-large' })
    } finally {
      catalogue.delete('test/membership')
    }
  })

  it('the CLI\'s literal choices equal the schema enums', () => {
    expect([...CLI_SCOPES].sort()).toEqual([...SCOPES].sort())
    expect([...CLI_URGENCIES]).toEqual([...URGENCIES])
  })
})

describe('timestamps', () => {
  it('accepts RFC 3339 UTC only, real dates only', () => {
    for (const t of ['2026-03-17T18:42:11Z', '2026-03-17T18:42:11.123Z', '2024-02-29T00:00:00Z']) expect(isTimestamp(t), t).toBe(true)
    for (const t of ['2026-03-17 18:42:11Z', '2026-03-17T18:42:11', '2026-03-17T18:42:11+00:00', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-03-17T24:00:00Z', '2026-03-17t18:42:11z']) expect(isTimestamp(t), t).toBe(false)
    expect(formatTimestamp(Date.parse('2026-03-17T18:42:11.999Z'))).toBe('2026-03-17T18:42:11Z')
  })
})

describe('isTimestamp', () => {
  it('agrees with the RFC 3339 UTC grammar and the calendar on generated text', () => {
    const RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/
    const reference = (t: string): boolean => {
      const m = RE.exec(t)
      if (m === null) return false
      const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number)
      if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false
      return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate()
    }
    const part = (n: number): fc.Arbitrary<string> => fc.oneof(fc.integer({ min: 0, max: 10 ** n - 1 }).map((x) => String(x).padStart(n, '0')), fc.string({ minLength: n, maxLength: n }))
    const ts = fc.tuple(part(4), part(2), part(2), part(2), part(2), part(2), fc.option(fc.string({ unit: fc.constantFrom('0', '5', '9', 'a'), minLength: 0, maxLength: 10 })), fc.constantFrom('Z', 'z', '', '+00:00'))
      .map(([y, mo, d, h, mi, s, f, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${f === null ? '' : '.' + f}${z}`)
    fc.assert(fc.property(fc.oneof(ts, fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31') }).map((d) => d.toISOString())), (t) => {
      expect(isTimestamp(t)).toBe(reference(t))
    }), { numRuns: 5000 })
  })
})
