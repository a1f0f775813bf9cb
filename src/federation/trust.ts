// Who is a member, decided locally: the federation's roots (configured, or learned through
// rotation envelopes), the certificates those roots issued, and their revocations. Pure: the
// envelopes' own signatures are checked by the EnvelopeValidator before they get here; the
// rotation countersignature is checked through the `countersigned` function handed in.

import { nodeIdFromPublicKey, parsePubkey } from '../envelope/keys.ts'
import { LruMap } from '../envelope/replay.ts'
import { rootIdOf, type CertificateEnvelope, type RevocationEnvelope, type RotationEnvelope } from './envelopes.ts'
import { admitRotations, type RotationDecision } from './rotation-admission.ts'

/** A root as configured: `federation.roots[]` (times RFC 3339). */
export interface RootSpec {
  pubkey: string
  notBefore?: string
  notAfter?: string
}

/** A trusted root with its validity window (ms since epoch; undefined = unbounded). */
export interface RootWindow {
  pubkey: string
  notBefore?: number
  notAfter?: number
  /** `config`, or the id of the rotation that taught it. */
  via: string
}

export type CertificateProblem =
  | 'wrong-federation' | 'bad-issuer' | 'unknown-issuer' | 'issuer-not-yet-valid' | 'issuer-expired'
  | 'not-yet-valid' | 'expired' | 'key-mismatch' | 'revoked'

const ms = (t: string | undefined): number | undefined => t === undefined ? undefined : Date.parse(t)

export function inWindow (w: { notBefore?: number, notAfter?: number }, at: number): boolean {
  return (w.notBefore === undefined || at >= w.notBefore) && (w.notAfter === undefined || at <= w.notAfter)
}

/** The envelope was signed by `root` as a root (sender id derived from the root key). */
function signedByRoot (e: { sender: { 'node/id': string, pubkey: string } }, root: string): boolean {
  return e.sender.pubkey === root && e.sender['node/id'] === rootIdOf(root)
}

/**
 * The roots to trust: the configured ones plus every root a trusted root vouched for. A
 * rotation signed by its old root, countersigned by its new one, adds the new root when the old
 * root was trusted at the rotation's `created-at`, and ends the old root's window at
 * `overlap-until`; the same rotation vouches backwards for the old root until `overlap-until`
 * when only the new root is trusted. A root rotates once: two rotations from one old root
 * cancel each other (neither is followed). A worklist over roots: each rotation is looked at
 * once per root it touches, so the work is linear in the rotations held.
 */
export function effectiveRoots (federation: string, config: readonly RootSpec[], rotations: readonly RotationEnvelope[], countersigned: (r: RotationEnvelope) => boolean): Map<string, RootWindow> {
  const roots = new Map<string, RootWindow>()
  for (const r of config) roots.set(r.pubkey, { pubkey: r.pubkey, notBefore: ms(r.notBefore), notAfter: ms(r.notAfter), via: 'config' })
  const byOld = new Map<string, RotationEnvelope[]>()
  for (const r of rotations) {
    if (r['federation/id'] !== federation || r.sender['federation/id'] !== federation || !signedByRoot(r, r['old-root']) || r['old-root'] === r['new-root']) continue
    const list = byOld.get(r['old-root']) ?? []
    if (!list.some((x) => x.id === r.id)) list.push(r)
    byOld.set(r['old-root'], list)
  }
  const fromOld = new Map<string, RotationEnvelope>()
  const toNew = new Map<string, RotationEnvelope[]>()
  for (const [old, list] of byOld) {
    if (list.length !== 1) continue
    fromOld.set(old, list[0])
    const back = toNew.get(list[0]['new-root']) ?? []
    back.push(list[0])
    toNew.set(list[0]['new-root'], back)
  }
  const queue = [...roots.keys()]
  for (let i = 0; i < queue.length; i++) {
    const key = queue[i]
    const w = roots.get(key) as RootWindow
    const f = fromOld.get(key)
    if (f !== undefined && inWindow(w, Date.parse(f['created-at'])) && countersigned(f)) {
      const until = Date.parse(f['overlap-until'])
      if (w.notAfter === undefined || w.notAfter > until) w.notAfter = until
      if (!roots.has(f['new-root'])) { roots.set(f['new-root'], { pubkey: f['new-root'], via: f.id }); queue.push(f['new-root']) }
    }
    for (const b of toNew.get(key) ?? []) {
      if (roots.has(b['old-root']) || !countersigned(b)) continue
      roots.set(b['old-root'], { pubkey: b['old-root'], notAfter: Date.parse(b['overlap-until']), via: b.id })
      queue.push(b['old-root'])
    }
  }
  return roots
}

export interface CheckContext {
  federation: string
  roots: ReadonlyMap<string, RootWindow>
  now: number
  revoked?: ReadonlySet<string>
}

/** Why a certificate does not make its member a member now, or undefined when it does. */
export function certificateProblem (cert: CertificateEnvelope, ctx: CheckContext): CertificateProblem | undefined {
  if (cert['federation/id'] !== ctx.federation || cert.sender['federation/id'] !== ctx.federation) return 'wrong-federation'
  if (!signedByRoot(cert, cert.issuer)) return 'bad-issuer'
  const root = ctx.roots.get(cert.issuer)
  if (root === undefined) return 'unknown-issuer'
  if (root.notBefore !== undefined && ctx.now < root.notBefore) return 'issuer-not-yet-valid'
  if (root.notAfter !== undefined && ctx.now > root.notAfter) return 'issuer-expired'
  if (ctx.now < Date.parse(cert['not-before'])) return 'not-yet-valid'
  if (ctx.now > Date.parse(cert['not-after'])) return 'expired'
  const key = parsePubkey(cert['member/pubkey'])
  if (key === undefined || nodeIdFromPublicKey(key) !== cert['member/node-id']) return 'key-mismatch'
  if (ctx.revoked?.has(cert['member/node-id']) === true) return 'revoked'
  return undefined
}

/** A revocation counts when a root trusted at its `created-at` signed it, for our federation. */
export function revocationValid (r: RevocationEnvelope, federation: string, roots: ReadonlyMap<string, RootWindow>): boolean {
  if (r['federation/id'] !== federation || r.sender['federation/id'] !== federation) return false
  const root = roots.get(r.sender.pubkey)
  return root !== undefined && signedByRoot(r, root.pubkey) && inWindow(root, Date.parse(r['created-at']))
}

/**
 * The membership book: certificates by member, rotations, revocations. Answers "is this node
 * a member now?" from what it holds; the daemon fills it from its own certificate, the
 * membership topic and hello exchanges, and persists it.
 */
export class MembershipBook {
  readonly federation: string
  private config: RootSpec[]
  private readonly countersigned: (r: RotationEnvelope) => boolean
  /** Countersignature verdicts by rotation id and signature: a rotation is verified once. */
  private readonly countersignCache = new LruMap<string, boolean>(4096)
  private readonly certs = new Map<string, CertificateEnvelope[]>()
  private readonly certIds = new Set<string>()
  private readonly rotations = new Map<string, RotationEnvelope>()
  private readonly revocations = new Map<string, RevocationEnvelope>()
  private rootCache?: Map<string, RootWindow>
  private revokedCache?: Set<string>
  /** Certificates kept per member (the newest by not-after). */
  static readonly CERTS_PER_MEMBER = 4

  constructor (federation: string, config: readonly RootSpec[], countersigned: (r: RotationEnvelope) => boolean) {
    this.federation = federation
    this.config = [...config]
    this.countersigned = (r) => {
      const key = `${r.id}|${r.countersignature.value}`
      let ok = this.countersignCache.get(key)
      if (ok === undefined) { ok = countersigned(r); this.countersignCache.set(key, ok) }
      return ok
    }
  }

  setConfigRoots (config: readonly RootSpec[]): void {
    this.config = [...config]
    this.invalidate()
  }

  roots (): Map<string, RootWindow> {
    this.rootCache ??= effectiveRoots(this.federation, this.config, [...this.rotations.values()], this.countersigned)
    return this.rootCache
  }

  revoked (): Set<string> {
    if (this.revokedCache === undefined) {
      const roots = this.roots()
      this.revokedCache = new Set([...this.revocations.values()].filter((r) => revocationValid(r, this.federation, roots)).map((r) => r['member/node-id']))
    }
    return this.revokedCache
  }

  private invalidate (): void {
    this.rootCache = undefined
    this.revokedCache = undefined
  }

  /** Whether an envelope with this id is held (certificate, rotation or revocation). */
  has (id: string): boolean {
    return this.rotations.has(id) || this.revocations.has(id) || this.certIds.has(id)
  }

  /**
   * Takes in new rotations that chain to a root trusted at `now` (rotation-admission.ts); the
   * roots are recomputed once for the whole batch.
   */
  admitRotations (candidates: readonly RotationEnvelope[], now: number): RotationDecision {
    const fresh = candidates.filter((r) => !this.rotations.has(r.id))
    const decision = admitRotations(this.federation, this.roots(), [...this.rotations.values()], fresh, now, this.countersigned)
    for (const r of decision.accepted) this.rotations.set(r.id, r)
    if (decision.accepted.length > 0) this.invalidate()
    return decision
  }

  /**
   * Restores a rotation accepted earlier (from the db or the root holder's own log), without
   * the clock rule it passed when it arrived; `effectiveRoots` still decides what it teaches.
   */
  addRotation (r: RotationEnvelope): boolean {
    if (r['federation/id'] !== this.federation || this.rotations.has(r.id)) return false
    this.rotations.set(r.id, r)
    this.invalidate()
    return true
  }

  /**
   * Adds a revocation signed by a root trusted at its `created-at` (and, for one arriving now,
   * still trusted at `now`); the reason when it is not kept.
   */
  addRevocation (r: RevocationEnvelope, now?: number): 'wrong-federation' | 'duplicate' | 'unknown-root' | undefined {
    if (r['federation/id'] !== this.federation) return 'wrong-federation'
    if (this.revocations.has(r.id)) return 'duplicate'
    const roots = this.roots()
    if (!revocationValid(r, this.federation, roots)) return 'unknown-root'
    if (now !== undefined && !inWindow(roots.get(r.sender.pubkey) as RootWindow, now)) return 'unknown-root'
    this.revocations.set(r.id, r)
    this.revokedCache = undefined
    return undefined
  }

  /**
   * Keeps a certificate when it is ours and its issuer is a root we trust (in any window:
   * an old-root certificate stays on file and simply stops validating). Returns the problem
   * that made it unwanted, or undefined when kept (or already held).
   */
  addCertificate (cert: CertificateEnvelope): CertificateProblem | 'duplicate' | undefined {
    if (cert['federation/id'] !== this.federation) return 'wrong-federation'
    if (!signedByRoot(cert, cert.issuer)) return 'bad-issuer'
    if (!this.roots().has(cert.issuer)) return 'unknown-issuer'
    const member = cert['member/node-id']
    const list = this.certs.get(member) ?? []
    if (list.some((c) => c.id === cert.id)) return 'duplicate'
    list.push(cert)
    list.sort((a, b) => Date.parse(b['not-after']) - Date.parse(a['not-after']))
    const kept = list.slice(0, MembershipBook.CERTS_PER_MEMBER)
    for (const c of list.slice(MembershipBook.CERTS_PER_MEMBER)) this.certIds.delete(c.id)
    this.certs.set(member, kept)
    if (kept.includes(cert)) this.certIds.add(cert.id)
    return undefined
  }

  /** The certificate that makes `nodeId` a member at `now`, if any. */
  validCertificate (nodeId: string, now = Date.now()): CertificateEnvelope | undefined {
    const list = this.certs.get(nodeId)
    if (list === undefined) return undefined
    const ctx = { federation: this.federation, roots: this.roots(), now, revoked: this.revoked() }
    return list.find((c) => certificateProblem(c, ctx) === undefined)
  }

  isMember (nodeId: string, now = Date.now()): boolean {
    return this.validCertificate(nodeId, now) !== undefined
  }

  /** Why `nodeId` is not a member now (`no-certificate` when none is held). */
  whyNot (nodeId: string, now = Date.now()): CertificateProblem | 'no-certificate' | undefined {
    const list = this.certs.get(nodeId)
    if (list === undefined || list.length === 0) return 'no-certificate'
    const ctx = { federation: this.federation, roots: this.roots(), now, revoked: this.revoked() }
    let first: CertificateProblem | undefined
    for (const c of list) {
      const p = certificateProblem(c, ctx)
      if (p === undefined) return undefined
      first ??= p
    }
    return first
  }

  allCertificates (): CertificateEnvelope[] { return [...this.certs.values()].flat() }
  allRotations (): RotationEnvelope[] { return [...this.rotations.values()] }
  allRevocations (): RevocationEnvelope[] { return [...this.revocations.values()] }
  memberIds (): string[] { return [...this.certs.keys()] }
}
