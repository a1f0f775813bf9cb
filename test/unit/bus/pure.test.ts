import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { buildClose, buildContribution, buildPresence, buildQuestion, buildSecretaryClaim, createSigner, EnvelopeValidator } from '../../../src/envelope/index.ts'
import { checkEligibility } from '../../../src/bus/core/eligibility.ts'
import { checkChannelEnvelope, checkQuestionScope, directArrival } from '../../../src/bus/core/admission.ts'
import { publishTopics, questionSubscriptions, topicKind } from '../../../src/bus/core/topics.ts'
import { claimDelayMs, isAbsent, preferClaim, rankCandidates } from '../../../src/bus/core/secretary.ts'
import { Channel } from '../../../src/bus/core/channel.ts'
import { createOpener, isRecipient, open, seal } from '../../../src/bus/private.ts'

const signer = (fed = 'fed:a') => { const seed = randomBytes(32); return { seed, s: createSigner(seed, fed) } }
const filters = (f: Partial<{ req: string[], exc: string[], min: number, langs: string[] }>) => ({
  'models/require': f.req ?? [], 'models/exclude': f.exc ?? [], 'responder/min-reputation': f.min ?? 0, languages: f.langs ?? []
})

describe('eligibility', () => {
  it('require lists alternatives, exclude any, languages any, reputation a floor', () => {
    expect(checkEligibility(filters({}), { models: [], languages: [] }).ok).toBe(true)
    expect(checkEligibility(filters({ req: ['model:a', 'model:b'] }), { models: ['b'], languages: [] }).ok).toBe(true)
    expect(checkEligibility(filters({ req: ['model:a'] }), { models: ['c'], languages: [] })).toMatchObject({ ok: false, reason: 'filtered-out' })
    expect(checkEligibility(filters({ exc: ['model:old'] }), { models: ['model:old', 'x'], languages: [] }).ok).toBe(false)
    expect(checkEligibility(filters({ langs: ['en', 'pl'] }), { models: [], languages: ['PL'] }).ok).toBe(true)
    expect(checkEligibility(filters({ langs: ['pl'] }), { models: [], languages: ['en'] }).ok).toBe(false)
    expect(checkEligibility(filters({ min: 0.78 }), { models: [], languages: [], reputation: 0.5 }).ok).toBe(false)
    expect(checkEligibility(filters({ min: 0.78 }), { models: [], languages: [], reputation: 0.8 }).ok).toBe(true)
    expect(checkEligibility(filters({ min: 0.78 }), { models: [], languages: [] }).ok).toBe(true) // unknown reputation: not judged here
  })

  it('an empty filter never excludes (property)', () => {
    fc.assert(fc.property(fc.array(fc.string()), fc.array(fc.string()), fc.double({ min: 0, max: 1, noNaN: true }), (models, languages, reputation) =>
      checkEligibility(filters({}), { models, languages, reputation }).ok))
  })
})

describe('topics and scope checks', () => {
  const { s: a } = signer('fed:a')
  it('maps scopes to topics', () => {
    expect(publishTopics('federation-local', 'fed:a')).toEqual(['swarm/1/fed/fed:a/questions'])
    expect(publishTopics('cross-federation', 'fed:a', ['fed:b', 'fed:a'])).toEqual(['swarm/1/fed/fed:a/questions', 'swarm/1/fed/fed:b/questions'])
    expect(publishTopics('global', 'fed:a')).toEqual(['swarm/1/global/questions'])
    expect(publishTopics('private', 'fed:a')).toEqual(['swarm/1/private'])
    expect(questionSubscriptions({ federation: 'fed:a', federations: ['fed:b'], global: false })).toEqual(['swarm/1/fed/fed:a/questions', 'swarm/1/fed/fed:b/questions', 'swarm/1/private'])
    // channels ride their question's scope topics: a per-question topic is no question topic
    expect(topicKind('swarm/1/channel/question:X')).toEqual({ kind: 'other' })
  })

  it('rejects a question whose scope disagrees with its topic (wrong-scope)', () => {
    const local = buildQuestion(a, { text: 'q', scope: 'federation-local' })
    const global = buildQuestion(a, { text: 'q', scope: 'global' })
    const cross = buildQuestion(a, { text: 'q', scope: 'cross-federation' })
    const priv = buildQuestion(a, { text: 'q', scope: 'private' })
    expect(checkQuestionScope(local, topicKind('swarm/1/fed/fed:a/questions'))).toBeUndefined()
    expect(checkQuestionScope(local, topicKind('swarm/1/fed/fed:b/questions'))).toBe('wrong-scope')
    expect(checkQuestionScope(local, topicKind('swarm/1/global/questions'))).toBe('wrong-scope')
    expect(checkQuestionScope(global, topicKind('swarm/1/fed/fed:a/questions'))).toBe('wrong-scope')
    expect(checkQuestionScope(global, topicKind('swarm/1/global/questions'))).toBeUndefined()
    expect(checkQuestionScope(cross, topicKind('swarm/1/fed/fed:b/questions'))).toBeUndefined()
    expect(checkQuestionScope(priv, topicKind('swarm/1/fed/fed:a/questions'))).toBe('wrong-scope')
    expect(directArrival(local, { federations: ['fed:b'], global: true })).toBeUndefined()
    expect(directArrival(global, { federations: ['fed:b'], global: false })).toBeUndefined()
    const c = buildContribution(a, { questionId: local.id, kind: 'fact', text: 't', confidence: 1 })
    expect(checkChannelEnvelope(c, local.id)).toBeUndefined()
    expect(checkChannelEnvelope(c, global.id)).toBe('wrong-channel')
  })
})

describe('secretary tie-break', () => {
  it('every node ranks the same candidates the same way', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 8 }), (ids) => {
      const one = rankCandidates('question:Q', ids)
      const two = rankCandidates('question:Q', [...ids].reverse())
      return JSON.stringify(one) === JSON.stringify(two) && claimDelayMs('question:Q', one[0], ids, 1) === 0
    }))
  })
  it('the earliest claim stands, then the lowest rank', () => {
    const x = { nodeId: 'node:x', createdAt: '2026-01-01T00:00:01Z' }
    const y = { nodeId: 'node:y', createdAt: '2026-01-01T00:00:02Z' }
    expect(preferClaim('q', x, y)).toBe(x)
    expect(preferClaim('q', y, x)).toBe(x)
    const z = { nodeId: 'node:z', createdAt: x.createdAt }
    expect(preferClaim('q', x, z)).toBe(preferClaim('q', z, x))
    expect(isAbsent(1000, 1000 + 3 * 1000 + 300, 1)).toBe(true)
    expect(isAbsent(1000, 1000 + 2 * 1000, 1)).toBe(false)
  })
})

describe('channel state machine', () => {
  const { s: asker } = signer()
  const { s: bob } = signer()
  const { s: eve } = signer()
  const ctx = (now = Date.now()) => ({ now, skewMs: 0 })

  it('open → answered → resolved; late, closed and no-follow-ups are excluded with reasons', () => {
    const q = buildQuestion(asker, { text: 'q', ttlSec: 60, followUps: false })
    const ch = new Channel(q)
    expect(ch.state()).toBe('open')
    const clar = buildContribution(bob, { questionId: q.id, kind: 'clarification-request', text: '?', confidence: 0.5 })
    expect(ch.admit(clar, '', ctx()).entry?.excluded).toBe('no-follow-ups')
    expect(ch.state()).toBe('open')
    const fact = buildContribution(bob, { questionId: q.id, kind: 'fact', text: 'f', confidence: 0.9 })
    expect(ch.admit(fact, '', ctx()).entry?.excluded).toBeUndefined()
    expect(ch.state()).toBe('answered')
    expect(ch.admit(fact, '', ctx()).duplicate).toBe(true)
    const late = buildContribution(bob, { questionId: q.id, kind: 'fact', text: 'late', confidence: 0.9 })
    expect(ch.admit(late, '', ctx(Date.now() + 61_000)).entry?.excluded).toBe('late')
    const forged = buildClose(eve, { questionId: q.id, resolution: 'withdrawn' })
    expect(ch.admit(forged, '', ctx()).entry?.excluded).toBe('not-authorized')
    expect(ch.state()).toBe('answered')
    const close = buildClose(asker, { questionId: q.id, resolution: 'accepted-answer', accepted: [fact.id] })
    expect(ch.admit(close, '', ctx()).closed).toBe(true)
    expect(ch.state()).toBe('resolved')
    const after = buildContribution(bob, { questionId: q.id, kind: 'fact', text: 'after', confidence: 0.9 })
    expect(ch.admit(after, '', ctx()).entry?.excluded).toBe('closed')
    expect(ch.allContributions().map((e) => e.excluded ?? 'ok')).toEqual(['no-follow-ups', 'ok', 'late', 'closed'])
    expect(ch.contributions().map((e) => e.id)).toEqual([fact.id])
  })

  it('shadow appointment, takeover, the asker returning and stepping back', () => {
    const t0 = Date.now()
    const q = buildQuestion(asker, { text: 'q', ttlSec: 600 })
    const opts = { since: t0 - 1, heartbeatSec: 10, skewMs: 30_000 }
    const ch = new Channel(q, opts)
    const appoint = buildSecretaryClaim(asker, { questionId: q.id, mode: 'shadow', askerNodeId: asker.nodeId, reason: `appoint ${bob.nodeId}` })
    ch.admit(appoint, '', { now: t0, skewMs: 30_000 })
    expect(ch.shadow).toBe(bob.nodeId)
    // a minute without the asker; a volunteer and the shadow claim in the same second: the shadow wins whatever the order
    const t = t0 + 60_000
    const at = { now: t, skewMs: 30_000 }
    const createdAt = new Date(t).toISOString()
    const vol = buildSecretaryClaim(eve, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt })
    const sh = buildSecretaryClaim(bob, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt })
    expect(ch.admit(vol, '', at).secretaryChanged).toBe(true)
    expect(ch.admit(sh, '', at).secretaryChanged).toBe(true)
    expect(ch.secretary).toBe(bob.nodeId)
    const other = new Channel(q, opts)
    other.admit(appoint, '', { now: t0, skewMs: 30_000 }); other.admit(sh, '', at); other.admit(vol, '', at)
    expect(other.secretary).toBe(bob.nodeId)
    const back = buildPresence(asker, { questionId: q.id, event: 'heartbeat', role: 'asker' }, { createdAt: new Date(t + 1000).toISOString() })
    expect(ch.admit(back, '', { now: t + 1000, skewMs: 30_000 }).askerReturned).toBe(true)
    expect(ch.secretary).toBe(null)
    ch.admit(buildSecretaryClaim(bob, { questionId: q.id, mode: 'step-back', askerNodeId: asker.nodeId }, { createdAt: new Date(t + 2000).toISOString() }), '', { now: t + 2000, skewMs: 30_000 })
    expect(ch.secretary).toBe(null)
  })
})

describe('sealed envelopes', () => {
  it('only recipients (and the sender) open them; relays see no plaintext', () => {
    const a = signer(); const b = signer(); const c = signer()
    const q = buildQuestion(a.s, { text: 'the vault code is 7413', scope: 'private' })
    const sealed = seal(a.s, { to: [b.s.nodeId], envelope: q, ttlSec: 60 })
    const text = JSON.stringify(sealed)
    expect(text).not.toContain('vault')
    expect(text).not.toContain(b.s.nodeId)
    const v = new EnvelopeValidator()
    expect(v.validateSync(text).ok).toBe(true)
    expect(isRecipient(sealed, createOpener(b.s.nodeId, b.seed))).toBe(true)
    expect(isRecipient(sealed, createOpener(c.s.nodeId, c.seed))).toBe(false)
    expect(open(sealed, createOpener(c.s.nodeId, c.seed))).toBeUndefined()
    const opened = open(sealed, createOpener(b.s.nodeId, b.seed))
    expect(opened?.envelope).toEqual(q)
    expect(opened?.to.sort()).toEqual([a.s.nodeId, b.s.nodeId].sort())
    expect(open(sealed, createOpener(a.s.nodeId, a.seed))?.envelope.id).toBe(q.id)
  })

  it('a tampered box does not open, and a re-signed copy fails its binding', () => {
    const a = signer(); const b = signer()
    const sealed = seal(a.s, { to: [b.s.nodeId], envelope: buildQuestion(a.s, { text: 'x', scope: 'private' }), ttlSec: 60 })
    const flipped = { ...sealed, ciphertext: sealed.ciphertext.slice(0, -2) + (sealed.ciphertext.endsWith('A') ? 'BA' : 'AA') }
    expect(() => open(flipped as any, createOpener(b.s.nodeId, b.seed))).toThrow(/does not open/)
    expect(new EnvelopeValidator().validateSync(JSON.stringify(flipped)).ok).toBe(false)
  })
})
