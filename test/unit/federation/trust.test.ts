import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createSigner, EnvelopeValidator, type Signer } from '../../../src/envelope/index.ts'
import {
  bindRootKey, buildCertificate, buildRevocation, buildRotation, createRootSigner, rootIdOf, verifyCountersignature,
  type CertificateEnvelope
} from '../../../src/federation/envelopes.ts'
import { certificateProblem, effectiveRoots, MembershipBook, revocationValid } from '../../../src/federation/trust.ts'

const FED = 'fed:acme'
const T0 = Date.parse('2026-03-17T00:00:00Z')
const H = 3600_000
const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const root = (n: number): Signer => createRootSigner(seed(n), FED)
const node = (n: number): Signer => createSigner(seed(100 + n), FED)

function cert (r: Signer, member: Signer, from: number, to: number): CertificateEnvelope {
  return buildCertificate(r, { federation: FED, memberNodeId: member.nodeId, memberPubkey: member.pubkey, notBefore: from, notAfter: to }, { createdAt: from })
}

describe('federation envelopes', () => {
  it('root-signed envelopes validate only with the root binding', () => {
    const c = cert(root(1), node(1), T0, T0 + 24 * H)
    expect(c.sender['node/id']).toBe(rootIdOf(root(1).pubkey))
    const now = (): number => T0 + H
    expect(new EnvelopeValidator({ now }).validateSync(c)).toMatchObject({ ok: false, reason: 'key-mismatch' })
    expect(new EnvelopeValidator({ now, bindKey: bindRootKey }).validateSync(c)).toMatchObject({ ok: true })
    // a certificate past not-after expires by itself
    expect(new EnvelopeValidator({ now: () => T0 + 25 * H, bindKey: bindRootKey }).validateSync(c)).toMatchObject({ ok: false, reason: 'expired' })
    // a node key cannot pose as a root: the id must derive from the signing key
    expect(bindRootKey(rootIdOf(root(1).pubkey) as string, root(2).pubkey)).toBe(false)
  })

  it('a rotation carries the new root\'s countersignature', () => {
    const r = buildRotation(root(1), root(2), T0 + H, { createdAt: T0 })
    expect(verifyCountersignature(r)).toBe(true)
    expect(verifyCountersignature({ ...r, 'overlap-until': '2030-01-01T00:00:00Z' })).toBe(false)
    expect(verifyCountersignature({ ...r, 'new-root': root(3).pubkey })).toBe(false)
  })
})

describe('certificate windows', () => {
  const r1 = root(1)
  const roots = effectiveRoots(FED, [{ pubkey: r1.pubkey, notBefore: new Date(T0).toISOString(), notAfter: new Date(T0 + 100 * H).toISOString() }], [], () => false)
  const ctx = (now: number): Parameters<typeof certificateProblem>[1] => ({ federation: FED, roots, now })

  it('valid exactly inside both the certificate and the root windows', () => {
    fc.assert(fc.property(fc.integer({ min: -10, max: 120 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 80 }), (atH, fromH, lenH) => {
      const c = cert(r1, node(1), T0 + fromH * H, T0 + (fromH + lenH) * H)
      const at = T0 + atH * H
      const p = certificateProblem(c, ctx(at))
      const inCert = at >= T0 + fromH * H && at <= T0 + (fromH + lenH) * H
      const inRoot = at >= T0 && at <= T0 + 100 * H
      expect(p === undefined).toBe(inCert && inRoot)
      if (!inRoot) expect(['issuer-expired', 'issuer-not-yet-valid']).toContain(p)
      else if (!inCert) expect(['expired', 'not-yet-valid']).toContain(p)
    }), { numRuns: 200 })
  })

  it('names what is wrong', () => {
    const c = cert(r1, node(1), T0, T0 + 10 * H)
    expect(certificateProblem(c, { ...ctx(T0 + H), federation: 'fed:other' })).toBe('wrong-federation')
    expect(certificateProblem(cert(root(9), node(1), T0, T0 + 10 * H), ctx(T0 + H))).toBe('unknown-issuer')
    expect(certificateProblem({ ...c, 'member/node-id': node(2).nodeId }, ctx(T0 + H))).toBe('key-mismatch')
    expect(certificateProblem({ ...c, issuer: root(2).pubkey }, ctx(T0 + H))).toBe('bad-issuer')
    expect(certificateProblem(c, { ...ctx(T0 + H), revoked: new Set([node(1).nodeId]) })).toBe('revoked')
  })
})

describe('rotation chains', () => {
  const [r1, r2, r3] = [root(1), root(2), root(3)]
  const rot12 = buildRotation(r1, r2, T0 + 10 * H, { createdAt: T0 + H })
  const rot23 = buildRotation(r2, r3, T0 + 20 * H, { createdAt: T0 + 11 * H })

  it('an old-root-only node follows the chain forward; the old root ends with the overlap', () => {
    const roots = effectiveRoots(FED, [{ pubkey: r1.pubkey }], [rot23, rot12], verifyCountersignature)
    expect([...roots.keys()].sort()).toEqual([r1.pubkey, r2.pubkey, r3.pubkey].sort())
    expect(roots.get(r1.pubkey)).toMatchObject({ notAfter: T0 + 10 * H, via: 'config' })
    expect(roots.get(r2.pubkey)).toMatchObject({ notAfter: T0 + 20 * H, via: rot12.id })
    expect(roots.get(r3.pubkey)).toMatchObject({ via: rot23.id })
    expect(roots.get(r3.pubkey)?.notAfter).toBeUndefined()
  })

  it('a new-root-only node trusts the old root back until the overlap ends (countersigned)', () => {
    const roots = effectiveRoots(FED, [{ pubkey: r2.pubkey }], [rot12], verifyCountersignature)
    expect(roots.get(r1.pubkey)).toMatchObject({ notAfter: T0 + 10 * H, via: rot12.id })
    const old = cert(r1, node(1), T0, T0 + 100 * H)
    expect(certificateProblem(old, { federation: FED, roots, now: T0 + 5 * H })).toBeUndefined()
    expect(certificateProblem(old, { federation: FED, roots, now: T0 + 11 * H })).toBe('issuer-expired')
    // without a valid countersignature nothing is learned backwards
    expect(effectiveRoots(FED, [{ pubkey: r2.pubkey }], [rot12], () => false).has(r1.pubkey)).toBe(false)
  })

  it('a rotation signed by an untrusted or expired root teaches nothing', () => {
    const stranger = buildRotation(root(7), root(8), T0 + 10 * H, { createdAt: T0 })
    expect([...effectiveRoots(FED, [{ pubkey: r1.pubkey }], [stranger], verifyCountersignature).keys()]).toEqual([r1.pubkey])
    const late = buildRotation(r1, root(8), T0 + 50 * H, { createdAt: T0 + 30 * H })
    const roots = effectiveRoots(FED, [{ pubkey: r1.pubkey, notAfter: new Date(T0 + 20 * H).toISOString() }], [late], verifyCountersignature)
    expect(roots.has(root(8).pubkey)).toBe(false)
    // another federation's rotation is not ours
    const other = buildRotation(createRootSigner(seed(1), 'fed:other'), root(9), T0 + 10 * H, { createdAt: T0 })
    expect(effectiveRoots(FED, [{ pubkey: r1.pubkey }], [other], verifyCountersignature).has(root(9).pubkey)).toBe(false)
  })

  it('any order of the same rotations gives the same roots', () => {
    const rot34 = buildRotation(r3, root(4), T0 + 30 * H, { createdAt: T0 + 21 * H })
    const all = [rot12, rot23, rot34]
    fc.assert(fc.property(fc.shuffledSubarray(all, { minLength: 3, maxLength: 3 }), (order) => {
      const roots = effectiveRoots(FED, [{ pubkey: r1.pubkey }], order, verifyCountersignature)
      expect([...roots.entries()].sort()).toEqual([...effectiveRoots(FED, [{ pubkey: r1.pubkey }], all, verifyCountersignature).entries()].sort())
    }), { numRuns: 20 })
  })
})

describe('membership book', () => {
  it('members, revocations by a trusted root only, certificates of unknown issuers dropped', () => {
    const r1 = root(1)
    const book = new MembershipBook(FED, [{ pubkey: r1.pubkey }], verifyCountersignature)
    const now = Date.now()
    expect(book.addCertificate(cert(r1, node(1), now - H, now + H))).toBeUndefined()
    expect(book.addCertificate(cert(root(5), node(2), now - H, now + H))).toBe('unknown-issuer')
    expect(book.isMember(node(1).nodeId)).toBe(true)
    expect(book.whyNot(node(2).nodeId)).toBe('no-certificate')
    const forged = buildRevocation(root(5), node(1).nodeId, 'not yours')
    expect(revocationValid(forged, FED, book.roots())).toBe(false)
    book.addRevocation(forged)
    expect(book.isMember(node(1).nodeId)).toBe(true)
    book.addRevocation(buildRevocation(r1, node(1).nodeId, 'lost key'))
    expect(book.whyNot(node(1).nodeId)).toBe('revoked')
  })

  it('a rotation learned later makes a new-root certificate acceptable', () => {
    const [r1, r2] = [root(1), root(2)]
    const book = new MembershipBook(FED, [{ pubkey: r1.pubkey }], verifyCountersignature)
    const now = Date.now()
    const c = cert(r2, node(3), now - H, now + H)
    expect(book.addCertificate(c)).toBe('unknown-issuer')
    expect(book.addRotation(buildRotation(r1, r2, now + H, { createdAt: now - H }))).toBe(true)
    expect(book.addCertificate(c)).toBeUndefined()
    expect(book.isMember(node(3).nodeId)).toBe(true)
  })
})
