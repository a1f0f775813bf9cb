// Who is a member, decided locally: the federation's roots (configured, or learned through
// rotation envelopes), the certificates those roots issued, and their revocations. Pure: the
// envelopes' own signatures are checked by the EnvelopeValidator before they get here; the
// rotation countersignature is checked through the `countersigned` function handed in.

import { nodeIdFromPublicKey, parsePubkey } from '../envelope/keys.ts'
import { rootIdOf, type CertificateEnvelope, type RevocationEnvelope, type RotationEnvelope } from './envelopes.ts'

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
 * The roots to trust: the configured ones plus every root a trusted root vouched for, to a
 * fixpoint. A rotation signed by a root trusted at the rotation's `created-at` adds its new
 * root and ends the old root's window at `overlap-until`. A rotation whose new root is trusted
 * and whose countersignature verifies also vouches backwards for the old root until
 * `overlap-until`, so a node that only knows the new root accepts old certificates during the
 * overlap. Every added root needs a signature by an already trusted root.
 */
export function effectiveRoots (federation: string, config: readonly RootSpec[], rotations: readonly RotationEnvelope[], countersigned: (r: RotationEnvelope) => boolean): Map<string, RootWindow> {
  const roots = new Map<string, RootWindow>()
  for (const r of config) roots.set(r.pubkey, { pubkey: r.pubkey, notBefore: ms(r.notBefore), notAfter: ms(r.notAfter), via: 'config' })
  const mine = rotations.filter((r) => r['federation/id'] === federation && r.sender['federation/id'] === federation && signedByRoot(r, r['old-root']) && r['old-root'] !== r['new-root'])
  const checked = new Map<string, boolean>()
  const counter = (r: RotationEnvelope): boolean => {
    let ok = checked.get(r.id)
    if (ok === undefined) { ok = countersigned(r); checked.set(r.id, ok) }
    return ok
  }
  for (let changed = true, rounds = 0; changed && rounds <= mine.length; rounds++) {
    changed = false
    for (const r of mine) {
      const at = Date.parse(r['created-at'])
      const until = Date.parse(r['overlap-until'])
      const oldRoot = roots.get(r['old-root'])
      const newRoot = roots.get(r['new-root'])
      if (oldRoot !== undefined && inWindow(oldRoot, at)) {
        if (newRoot === undefined) {
          roots.set(r['new-root'], { pubkey: r['new-root'], via: r.id })
          changed = true
        }
        if (oldRoot.notAfter === undefined || oldRoot.notAfter > until) {
          oldRoot.notAfter = until
          changed = true
        }
      } else if (oldRoot === undefined && newRoot !== undefined && counter(r)) {
        roots.set(r['old-root'], { pubkey: r['old-root'], notAfter: until, via: r.id })
        changed = true
      }
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
  private readonly certs = new Map<string, CertificateEnvelope[]>()
  private readonly rotations = new Map<string, RotationEnvelope>()
  private readonly revocations = new Map<string, RevocationEnvelope>()
  private rootCache?: Map<string, RootWindow>
  private revokedCache?: Set<string>
  /** Certificates kept per member (the newest by not-after). */
  static readonly CERTS_PER_MEMBER = 4

  constructor (federation: string, config: readonly RootSpec[], countersigned: (r: RotationEnvelope) => boolean) {
    this.federation = federation
    this.config = [...config]
    this.countersigned = countersigned
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

  /** Adds a rotation; true when it is new and concerns this federation. */
  addRotation (r: RotationEnvelope): boolean {
    if (r['federation/id'] !== this.federation || this.rotations.has(r.id)) return false
    this.rotations.set(r.id, r)
    this.invalidate()
    return true
  }

  addRevocation (r: RevocationEnvelope): boolean {
    if (r['federation/id'] !== this.federation || this.revocations.has(r.id)) return false
    this.revocations.set(r.id, r)
    this.invalidate()
    return true
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
    this.certs.set(member, list.slice(0, MembershipBook.CERTS_PER_MEMBER))
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
