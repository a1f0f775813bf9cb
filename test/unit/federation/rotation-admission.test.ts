import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createSigner, type Signer } from '../../../src/envelope/index.ts'
import { buildCertificate, buildRevocation, buildRotation, createRootSigner, verifyCountersignature } from '../../../src/federation/envelopes.ts'
import { admitRotations } from '../../../src/federation/rotation-admission.ts'
import { effectiveRoots } from '../../../src/federation/trust.ts'
import { BUNDLE_LIMITS, Membership } from '../../../src/federation/membership.ts'

const FED = 'fed:acme'
const H = 3600_000
const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const root = (n: number): Signer => createRootSigner(seed(n), FED)
const NOW = Date.now()

describe('admitRotations', () => {
  const [r1, r2, r3] = [root(1), root(2), root(3)]
  const roots1 = effectiveRoots(FED, [{ pubkey: r1.pubkey }], [], verifyCountersignature)

  it('takes a rotation from a root open now, and chains inside one batch', () => {
    const a = buildRotation(r1, r2, NOW + H, { createdAt: NOW - H })
    const b = buildRotation(r2, r3, NOW + 2 * H, { createdAt: NOW - H / 2 })
    const d = admitRotations(FED, roots1, [], [b, a], NOW, verifyCountersignature)
    expect(d.accepted.map((r) => r.id).sort()).toEqual([a.id, b.id].sort())
    expect(d.refused).toEqual([])
  })

  it('refuses a rotation back-dated into a window that has closed (old root ended before now)', () => {
    const honest = buildRotation(r1, r2, NOW - 10 * H, { createdAt: NOW - 20 * H })
    const roots = effectiveRoots(FED, [{ pubkey: r1.pubkey }], [honest], verifyCountersignature)
    const backdated = buildRotation(r1, r3, NOW + 100 * H, { createdAt: NOW - 15 * H })
    // configured with R1 and holding R1→R2: competing; configured with R2 only: R1's window is over
    expect(admitRotations(FED, roots, [honest], [backdated], NOW, verifyCountersignature).refused[0].reason).toBe('competing-rotation')
    const roots2 = effectiveRoots(FED, [{ pubkey: r2.pubkey }], [honest], verifyCountersignature)
    expect(admitRotations(FED, roots2, [], [backdated], NOW, verifyCountersignature).refused[0].reason).toBe('root-expired')
    // the honest next rotation, by the root trusted now, is taken
    const next = buildRotation(r2, root(4), NOW + H, { createdAt: NOW })
    expect(admitRotations(FED, roots2, [honest], [next], NOW, verifyCountersignature).accepted).toEqual([next])
  })

  it('two rotations from one root in one batch refuse each other; junk keys and missing countersignatures teach nothing', () => {
    const a = buildRotation(r1, r2, NOW + H, { createdAt: NOW })
    const b = buildRotation(r1, r3, NOW + H, { createdAt: NOW })
    const d = admitRotations(FED, roots1, [], [a, b], NOW, verifyCountersignature)
    expect(d.accepted).toEqual([])
    expect(d.refused.map((x) => x.reason)).toEqual(['competing-rotation', 'competing-rotation'])
    const stranger = buildRotation(root(7), root(8), NOW + H, { createdAt: NOW })
    expect(admitRotations(FED, roots1, [], [stranger], NOW, verifyCountersignature).refused[0].reason).toBe('unknown-root')
    expect(admitRotations(FED, roots1, [], [a], NOW, () => false).refused[0].reason).toBe('bad-countersignature')
  })

  it('property: whatever the batch, every accepted rotation chains to a root trusted now, at most one per old root', () => {
    const keys = [1, 2, 3, 4, 5].map(root)
    const rot = fc.record({ from: fc.integer({ min: 0, max: 4 }), to: fc.integer({ min: 0, max: 4 }), created: fc.integer({ min: -30, max: 0 }), until: fc.integer({ min: -20, max: 20 }) })
      .filter((x) => x.from !== x.to)
      .map((x) => buildRotation(keys[x.from], keys[x.to], NOW + x.until * H, { createdAt: NOW + x.created * H }))
    fc.assert(fc.property(fc.array(rot, { maxLength: 8 }), (batch) => {
      const d = admitRotations(FED, roots1, [], batch, NOW, verifyCountersignature)
      const olds = d.accepted.map((r) => r['old-root'])
      expect(new Set(olds).size).toBe(olds.length)
      expect(d.accepted.length + d.refused.length).toBe(batch.length)
      const roots = effectiveRoots(FED, [{ pubkey: r1.pubkey }], d.accepted, verifyCountersignature)
      for (const r of d.accepted) expect(roots.has(r['new-root']) && roots.has(r['old-root'])).toBe(true)
    }), { numRuns: 60 })
  })
})

describe('Membership bundles', () => {
  const r1 = root(1)
  const membership = (): Membership => new Membership({ federation: FED, config: { mode: 'closed', roots: [{ pubkey: r1.pubkey }], announceSec: 300 }, clockSkewSec: 30 })

  it('a bundle of junk rotations naming our root is dropped without verifying most of them, and keeps nothing', async () => {
    const m = membership()
    const junkKey = createSigner(seed(50), FED)
    const honest = buildRotation(r1, root(2), NOW + H, { createdAt: NOW })
    const junk = Array.from({ length: 2000 }, (_, i) => ({ ...buildRotation(createRootSigner(seed(60 + (i % 5)), FED), root(9), NOW + H), 'old-root': r1.pubkey }))
    const forged = Array.from({ length: 100 }, () => ({ ...honest, sender: { ...honest.sender }, countersignature: honest.countersignature, id: buildRotation(r1, root(3), NOW + H).id }))
    const r = await m.ingestAll([...junk, ...forged, honest, junkKey])
    // the honest rotation sits past the bundle's 2,000 limit: not even looked at
    expect(r.added).toEqual([])
    expect(m.book.allRotations()).toEqual([])
    expect(r.refused.filter((x) => x.reason === 'bad-signature').length).toBeLessThanOrEqual(BUNDLE_LIMITS.badSignatures)
    const ok = await m.ingestAll([honest, ...junk.slice(0, 100)])
    expect(ok.added).toEqual([honest])
  })

  it('the membership topic refuses junk before verifying any signature', async () => {
    const m = membership()
    const bytes = (e: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(e))
    const junk = { ...buildRotation(root(7), root(8), NOW + H), 'old-root': r1.pubkey }
    expect(m.precheck(bytes(junk))).toMatchObject({ action: 'reject', reason: 'bad-issuer' })
    const member = createSigner(seed(102), FED)
    const stranger = buildCertificate(root(5), { federation: FED, memberNodeId: member.nodeId, memberPubkey: member.pubkey, notAfter: NOW + H })
    expect(m.precheck(bytes(stranger))).toMatchObject({ action: 'ignore', reason: 'unknown-issuer' })
    const honest = buildRotation(r1, root(2), NOW + H, { createdAt: NOW })
    expect(m.precheck(bytes(honest))).toBeUndefined()
    await m.ingestAll([honest])
    expect(m.precheck(bytes(honest))).toMatchObject({ action: 'ignore', reason: 'duplicate' })
    expect(m.precheck(new TextEncoder().encode('not json'))).toBeUndefined()
  })

  it('revocations must come from a root trusted now; certificates from unknown issuers are skipped', async () => {
    const m = membership()
    const member = createSigner(seed(101), FED)
    const cert = buildCertificate(r1, { federation: FED, memberNodeId: member.nodeId, memberPubkey: member.pubkey, notAfter: NOW + H })
    const strangerCert = buildCertificate(root(5), { federation: FED, memberNodeId: member.nodeId, memberPubkey: member.pubkey, notAfter: NOW + H })
    const forgedRevocation = buildRevocation(root(5), member.nodeId, 'not yours')
    const r = await m.ingestAll([strangerCert, forgedRevocation, cert])
    expect(r.added).toEqual([cert])
    expect(m.book.isMember(member.nodeId)).toBe(true)
    expect((await m.ingestAll([buildRevocation(r1, member.nodeId, 'lost key')])).added).toHaveLength(1)
    expect(m.book.whyNot(member.nodeId)).toBe('revoked')
  })
})

describe('Membership persistence', () => {
  it('keeps what it admitted across a restart and deletes junk an older version stored', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { openDb } = await import('../../../src/store/db.ts')
    const dir = await mkdtemp(join(tmpdir(), 'swarmd-membership-'))
    const db = await openDb(join(dir, 'db'))
    try {
      const r1 = root(1)
      const init = { federation: FED, config: { mode: 'closed' as const, roots: [{ pubkey: r1.pubkey }], announceSec: 300 }, clockSkewSec: 30, bucket: db.bucket('federation') }
      const honest = buildRotation(r1, root(2), NOW + H, { createdAt: NOW })
      const first = new Membership(init)
      expect((await first.ingestAll([honest])).added).toEqual([honest])
      // what an older version persisted from a hello bomb: rotations signed by strangers, naming our root
      const junk = { ...buildRotation(root(7), root(8), NOW + H), 'old-root': r1.pubkey }
      await db.bucket('federation').put(`rotation:${junk.id}`, junk)
      const second = new Membership(init)
      await second.load('node:nobody')
      expect(second.book.roots().has(root(2).pubkey)).toBe(true)
      expect(second.pruned).toBe(1)
      expect(await db.bucket('federation').get(`rotation:${junk.id}`)).toBeUndefined()
      expect(await db.bucket('federation').get(`rotation:${honest.id}`)).toMatchObject({ id: honest.id })
    } finally {
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
