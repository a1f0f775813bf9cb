// The validator: one hand-made bad envelope per reason, and properties over every type.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  buildCapabilityAdvert, buildContribution, buildProposal, buildQuestion, buildEnvelope, createWebCryptoEd25519, encodeSignature,
  EnvelopeValidator, envelopeSigningInput, newId, nobleEd25519, nodeEd25519, type EnvelopeBase, type Refused, type Signer, type Verdict
} from '../../../src/envelope/index.ts'
import { arbEnvelope, mutateAt, NOW, PEER, shuffleKeys, signedPaths, signerA, signerB } from './arbitraries.ts'

const validator = (opts: ConstructorParameters<typeof EnvelopeValidator>[0] = {}): EnvelopeValidator => new EnvelopeValidator({ now: () => NOW, ...opts })
const question = (signer: Signer = signerA, extra: Partial<Parameters<typeof buildQuestion>[1]> = {}, id?: string): EnvelopeBase =>
  buildQuestion(signer, { text: 'What is the safest way to rotate a trust root?', tags: ['trust'], ...extra }, { createdAt: NOW - 1000, id })
const json = (v: unknown): string => JSON.stringify(v)
const refusal = (v: Verdict): Refused => { expect(v.ok).toBe(false); return v as Refused }
const resign = (env: Record<string, any>, signer: Signer): EnvelopeBase => ({ ...env, signature: encodeSignature(signer.sign(envelopeSigningInput(env as any))) }) as any

describe('EnvelopeValidator: one bad envelope per reason', () => {
  const q = question()
  const cases: Array<{ name: string, input: () => Uint8Array | string | object, reason: string, action?: 'reject' | 'ignore', path?: string, v?: () => EnvelopeValidator, opts?: object }> = [
    { name: 'not JSON', input: () => '{"type":', reason: 'bad-json' },
    { name: 'not UTF-8', input: () => Uint8Array.of(0x7b, 0xff, 0x7d), reason: 'bad-json' },
    { name: 'not serialisable', input: () => ({ n: 10n }), reason: 'bad-json' },
    { name: 'bytes over 64 KiB', input: () => new Uint8Array(64 * 1024 + 1), reason: 'too-large' },
    { name: 'text over 64 KiB in UTF-8', input: () => json({ ...q, pad: 'é'.repeat(33_000) }), reason: 'too-large' },
    { name: 'over a smaller cap', input: () => json(q), reason: 'too-large', v: () => validator({ maxBytes: 100 }) },
    { name: 'a JSON array', input: () => '[1,2]', reason: 'bad-schema', path: '(envelope)' },
    { name: 'no type', input: () => ({ ...q, type: undefined }), reason: 'bad-schema', path: 'type' },
    { name: 'unknown top-level field', input: () => ({ ...q, extra: 1 }), reason: 'bad-schema', path: '(envelope)' },
    { name: 'bad urgency', input: () => ({ ...q, question: { ...(q as any).question, urgency: 'panic' } }), reason: 'bad-schema', path: 'question.urgency' },
    { name: 'channel id ≠ id', input: () => ({ ...q, delivery: { ...(q as any).delivery, 'response-channel/id': newId('question') } }), reason: 'bad-schema', path: 'delivery.response-channel/id' },
    { name: 'reputation above 1', input: () => ({ ...q, filters: { ...(q as any).filters, 'responder/min-reputation': 1.5 } }), reason: 'bad-schema', path: 'filters.responder/min-reputation' },
    { name: 'id of the wrong kind', input: () => ({ ...q, id: newId('contribution') }), reason: 'bad-schema', path: 'id' },
    { name: 'no signature', input: () => ({ ...q, signature: undefined }), reason: 'bad-schema', path: 'signature' },
    { name: 'padded signature', input: () => ({ ...q, signature: { alg: 'ed25519', value: q.signature.value + '==' } }), reason: 'bad-schema', path: 'signature.value' },
    { name: 'created-at not UTC', input: () => ({ ...q, 'created-at': '2026-03-17T18:42:11+01:00' }), reason: 'bad-schema', path: 'created-at' },
    { name: 'created-at 30 February', input: () => ({ ...q, 'created-at': '2026-02-30T18:42:11Z' }), reason: 'bad-schema', path: 'created-at' },
    { name: 'expected another type', input: () => q, reason: 'bad-schema', path: 'type', opts: { expectType: 'swarm/contribution' } },
    { name: 'tampered text', input: () => json(q).replace('rotate', 'rotatE'), reason: 'bad-signature' },
    { name: 'signature of other content', input: () => ({ ...q, signature: question().signature }), reason: 'bad-signature' },
    { name: 'signed by a key other than sender.pubkey', input: () => resign({ ...q, sender: { ...q.sender, pubkey: signerB.pubkey, 'node/id': signerB.nodeId } }, signerA), reason: 'bad-signature' },
    { name: 'node id of another key', input: () => resign({ ...q, sender: { ...q.sender, 'node/id': signerB.nodeId } }, signerA), reason: 'key-mismatch' },
    { name: 'node id not a did:key', input: () => resign({ ...q, sender: { ...q.sender, 'node/id': 'node:pl-wro-7f3c' } }, signerA), reason: 'key-mismatch' },
    { name: 'question past its TTL', input: () => buildQuestion(signerA, { text: 'old', ttlSec: 60 }, { createdAt: NOW - 120_000 }), reason: 'expired', action: 'ignore' },
    { name: 'advert past expires-at', input: () => buildCapabilityAdvert(signerA, { peerId: PEER, sequence: 1, expiresAt: NOW - 31_000 }, { createdAt: NOW - 400_000 }), reason: 'expired', action: 'ignore' },
    { name: 'proposal past its deadline', input: () => buildProposal(signerA, { file: 'a', operation: 'delete', rationale: 'r', risk: 'low', contentHash: null, deadline: NOW - 60_000 }, { createdAt: NOW - 120_000 }), reason: 'expired', action: 'ignore' },
    { name: 'older than maxAgeSec', input: () => buildContribution(signerA, { questionId: newId('question'), kind: 'fact', text: 't', confidence: 1 }, { createdAt: NOW - 3_600_000 }), reason: 'expired', action: 'ignore', opts: { maxAgeSec: 600 } },
    { name: 'created beyond the skew', input: () => buildQuestion(signerA, { text: 'later' }, { createdAt: NOW + 31_000 }), reason: 'from-future', action: 'ignore' },
    { name: 'unknown type', input: () => resign({ ...q, type: 'swarm/nope' }, signerA), reason: 'unknown-type' }
  ]
  for (const c of cases) {
    it(`${c.name} → ${c.reason}`, async () => {
      const v = c.v?.() ?? validator()
      const input = c.input()
      const verdict = refusal(await v.validate(input, c.opts))
      expect(verdict.reason).toBe(c.reason)
      expect(verdict.action).toBe(c.action ?? 'reject')
      expect(typeof verdict.detail).toBe('string')
      if (c.path !== undefined) expect(verdict.path).toBe(c.path)
      // the sync path agrees
      const v2 = c.v?.() ?? validator()
      expect(v2.validateSync(input, c.opts as any)).toEqual(verdict)
    })
  }

  it('same id with the same content → duplicate (ignore); same key, other content → equivocation (ignore, key refused)', async () => {
    const caught: string[] = []
    const v = validator({ onEquivocation: (pubkey) => caught.push(pubkey) })
    const id = newId('question', NOW)
    const first = question(signerA, {}, id)
    expect((await v.validate(json(first))).ok).toBe(true)
    const again = refusal(await v.validate(json(shuffleKeys(first, Math.random))))
    expect([again.reason, again.action]).toEqual(['duplicate', 'ignore'])
    // another key may use the same id: ids are per sender, nobody can squat another's
    expect((await v.validate(question(signerB, {}, id))).ok).toBe(true)
    const other = refusal(await v.validate(question(signerA, { text: 'something else' }, id)))
    expect([other.reason, other.action, other.signer]).toEqual(['equivocation', 'ignore', signerA.pubkey])
    expect(caught).toEqual([signerA.pubkey])
    expect(v.isEquivocator(signerA.pubkey)).toBe(true)
    // from then on the key is refused, even for fresh ids; the other key is untouched
    expect(refusal(v.validateSync(question(signerA))).reason).toBe('equivocation')
    expect(v.validateSync(question(signerB)).ok).toBe(true)
    expect(caught).toEqual([signerA.pubkey])
  })

  it('a copy with a forged body but the remembered signature is a duplicate (no verify); a bad signature on a known id is bad-signature, not equivocation', () => {
    let verifies = 0
    const base = nodeEd25519()!
    const v = validator({ verifier: { ...base, verifySync: (k, m, s) => { verifies++; return base.verifySync!(k, m, s) } } })
    const q = question()
    expect(v.validateSync(q).ok).toBe(true)
    expect(verifies).toBe(1)
    for (let i = 0; i < 50; i++) expect(refusal(v.validateSync(json(q).replace('{', '{' + ' '.repeat(i + 1)))).reason).toBe('duplicate')
    expect(refusal(v.validateSync(json(q).replace('rotate', 'rotatE'))).reason).toBe('duplicate')
    expect(verifies).toBe(1)
    const forged = { ...q, signature: question().signature }
    expect(refusal(v.validateSync(forged)).reason).toBe('bad-signature')
    expect(v.isEquivocator(signerA.pubkey)).toBe(false)
  })

  it('repeated member names are bad-json, at any depth, whatever the spacing', () => {
    const q = question()
    const text = json(q)
    const variants = [
      text.replace('{', '{"type":"swarm/question",'),
      text.replace('"text":', '"text":"x","text":'),
      text.replace('"text":', '"text" :"x", "text"\t:'),
      text.replace('"alg":', '"alg":"ed25519","alg":')
    ]
    for (const t of variants) {
      expect(() => JSON.parse(t)).not.toThrow()
      const r = refusal(validator().validateSync(t))
      expect([r.reason, r.action]).toEqual(['bad-json', 'reject'])
    }
    // a copy of an envelope already seen is dropped at the replay lookup, before the name scan
    // (what its text repeats does not matter: it is dropped)
    const seen = validator()
    expect(seen.validateSync(text).ok).toBe(true)
    expect([refusal(seen.validateSync(variants[1])).reason, refusal(seen.validateSync(variants[1])).action]).toEqual(['duplicate', 'ignore'])
    // names inside strings and escaped quotes are not names
    const tricky = buildQuestion(signerA, { text: 'a "text": b \\" "text":' }, { createdAt: NOW - 1000 })
    expect(validator().validateSync(json(tricky)).ok).toBe(true)
    expect(validator().validateSync(JSON.stringify(tricky, null, 2)).ok).toBe(true)
  })

  it('a forgery does not take an id: the real envelope is still accepted afterwards', async () => {
    const v = validator()
    const q = question()
    expect(refusal(await v.validate(json(q).replace('rotate', 'rotatE'))).reason).toBe('bad-signature')
    expect((await v.validate(q)).ok).toBe(true)
  })

  it('remember() makes an own envelope a duplicate; forget() lets it in again', () => {
    const v = validator()
    const q = question()
    v.remember(q)
    expect(refusal(v.validateSync(q)).reason).toBe('duplicate')
    expect(v.forget(q.id)).toBe(true)
    expect(v.validateSync(q).ok).toBe(true)
  })

  it('replayCacheSize 0 turns duplicate detection off', () => {
    const v = validator({ replayCacheSize: 0 })
    const q = question()
    expect(v.validateSync(q).ok).toBe(true)
    expect(v.validateSync(q).ok).toBe(true)
  })

  it('the replay memory is bounded (LRU)', () => {
    const v = validator({ replayCacheSize: 2 })
    const [a, b, c] = [question(), question(), question()]
    for (const e of [a, b, c]) expect(v.validateSync(e).ok).toBe(true)
    expect(v.validateSync(a).ok).toBe(true) // evicted, so news again
    expect(refusal(v.validateSync(c)).reason).toBe('duplicate')
  })

  it('accepts within the clock skew, and a custom skew', () => {
    const soon = buildQuestion(signerA, { text: 'soon' }, { createdAt: NOW + 20_000 })
    expect(validator().validateSync(soon).ok).toBe(true)
    expect(refusal(validator({ clockSkewSec: 5 }).validateSync(soon)).reason).toBe('from-future')
    const old = buildQuestion(signerA, { text: 'old', ttlSec: 60 }, { createdAt: NOW - 80_000 })
    expect(validator().validateSync(old).ok).toBe(true) // 20 s late, within 30 s skew
    expect(validator().validateSync(buildQuestion(signerA, { text: 'old', ttlSec: 60 }, { createdAt: NOW - 120_000 }), { checkExpiry: false }).ok).toBe(true)
  })

  it('a bindKey hook may bind a node id that is not derived from the key', () => {
    const claimed = 'node:pl-wro-7f3c'
    const env = resign({ ...question(), sender: { ...question().sender, 'node/id': claimed } }, signerA)
    const seen: unknown[] = []
    const v = validator({ bindKey: (nodeId, pubkey) => { seen.push([nodeId, pubkey]); return nodeId === claimed && pubkey === signerA.pubkey } })
    expect(v.validateSync(env).ok).toBe(true)
    expect(seen).toEqual([[claimed, signerA.pubkey]])
  })

  it('accepts the text, bytes and object forms alike and hands back the text', async () => {
    const q = question()
    for (const input of [json(q), new TextEncoder().encode(json(q)), q]) {
      const verdict = await validator().validate(input, { expectType: ['swarm/question', 'swarm/close'] })
      expect(verdict.ok).toBe(true)
      if (verdict.ok) {
        expect(verdict.envelope).toEqual(q)
        expect(JSON.parse(verdict.text!)).toEqual(q)
      }
    }
  })

  it('refuses inputs that are neither bytes, text nor an object', async () => {
    for (const input of [null, undefined, 42, true]) {
      expect(refusal(await validator().validate(input as any)).reason).toBe('bad-json')
    }
  })

  it('validateSync needs a synchronous backend', () => {
    const v = new EnvelopeValidator({ verifier: createWebCryptoEd25519() })
    expect(v.canValidateSync).toBe(false)
    expect(() => v.validateSync('{}')).toThrow(TypeError)
  })

  it('a deeply nested task payload is bad-schema, not a crash', async () => {
    let deep: unknown = 1
    for (let i = 0; i < 200; i++) deep = { d: deep }
    const env = { ...buildEnvelope('swarm/task-request', { 'correlation-id': 'c', 'task/type': 't', data: {}, requirements: [], deadline: '2026-03-17T19:00:00Z' }, signerA, { createdAt: NOW }) }
    const verdict = refusal(await validator().validate({ ...env, data: deep }))
    expect(verdict.reason).toBe('bad-schema')
  })
})

describe('EnvelopeValidator: properties', () => {
  it('every valid envelope verifies after a JSON round trip with its keys reordered', () => {
    fc.assert(fc.property(arbEnvelope(), fc.integer(), (env, seed) => {
      let s = seed
      const rnd = (): number => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s / 0x80000000 }
      const text = JSON.stringify(shuffleKeys(env, rnd))
      const verdict = validator().validateSync(new TextEncoder().encode(text))
      if (!verdict.ok) throw new Error(`${env.type}: ${verdict.reason} ${verdict.detail}`)
      // JSON has no -0: what went over the wire is the envelope as JSON gives it back
      expect(verdict.envelope).toEqual(JSON.parse(JSON.stringify(env)))
    }), { numRuns: 400 })
  })

  it('any change to a signed field is rejected', () => {
    fc.assert(fc.property(arbEnvelope(), fc.nat(), fc.nat(), (env, pick, variant) => {
      const paths = signedPaths(env)
      const path = paths[pick % paths.length]
      const changed = mutateAt(env, path, variant)
      const verdict = validator().validateSync(JSON.stringify(changed))
      if (verdict.ok) throw new Error(`accepted a change at ${path.join('.')}`)
    }), { numRuns: 1500 })
  })

  it('arbitrary bytes, text and values never throw and are never accepted', async () => {
    const v = validator()
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }), fc.jsonValue(), fc.anything()), (input) => {
      const verdict = v.validateSync(input as any)
      expect(verdict.ok).toBe(false)
    }), { numRuns: 3000 })
    const envs = fc.sample(arbEnvelope(), 20)
    await fc.assert(fc.asyncProperty(fc.constantFrom(...envs), fc.nat(), fc.integer({ min: 0, max: 7 }), async (env, at, bit) => {
      // flip one bit anywhere in the JSON text
      const bytes = new TextEncoder().encode(JSON.stringify(env))
      bytes[at % bytes.length] ^= 1 << bit
      const verdict = await validator().validate(bytes)
      if (verdict.ok) expect(verdict.envelope).toEqual(env)
    }), { numRuns: 1000 })
  })

  it('node:crypto, noble and WebCrypto give identical verdicts', async () => {
    const backends = [nodeEd25519()!, nobleEd25519, createWebCryptoEd25519()!]
    const candidates = fc.oneof(
      arbEnvelope().map((e) => JSON.stringify(e)),
      fc.tuple(arbEnvelope(), fc.nat(), fc.nat()).map(([e, p, m]) => { const paths = signedPaths(e); return JSON.stringify(mutateAt(e, paths[p % paths.length], m)) }),
      fc.tuple(arbEnvelope(), fc.uint8Array({ minLength: 64, maxLength: 64 })).map(([e, sig]) => JSON.stringify({ ...e, signature: encodeSignature(sig) }))
    )
    await fc.assert(fc.asyncProperty(candidates, async (text) => {
      const verdicts = await Promise.all(backends.map(async (b) => await new EnvelopeValidator({ now: () => NOW, verifier: b }).validate(text)))
      const strip = (v: Verdict): unknown => v.ok ? { ok: true, id: v.envelope.id } : v
      expect(strip(verdicts[1])).toEqual(strip(verdicts[0]))
      expect(strip(verdicts[2])).toEqual(strip(verdicts[0]))
    }), { numRuns: 300 })
  })

  it('backends agree on degenerate keys and signatures (small-order points, s ≥ L)', async () => {
    const backends = [nodeEd25519()!, nobleEd25519, createWebCryptoEd25519()!]
    const msg = new TextEncoder().encode('swarm/question.v1\0x')
    const identity = new Uint8Array(32); identity[0] = 1 // the neutral point (0, 1)
    const zero = new Uint8Array(32)
    const big = new Uint8Array(32).fill(0xff)
    const good = signerA.sign(msg)
    const sBig = good.slice(); sBig.set(new Uint8Array(32).fill(0xff), 32)
    const rIdentity = new Uint8Array(64); rIdentity.set(identity, 0)
    const cases: Array<[Uint8Array, Uint8Array]> = [
      [signerA.publicKey, good], [signerA.publicKey, sBig], [identity, rIdentity], [zero, rIdentity], [big, good], [identity, good], [signerA.publicKey, new Uint8Array(64)]
    ]
    for (const [pub, sig] of cases) {
      const results = await Promise.all(backends.map(async (b) => await b.verify(pub, msg, sig)))
      expect(results, `${Buffer.from(pub).toString('hex')}`).toEqual([results[0], results[0], results[0]])
    }
  })
})
