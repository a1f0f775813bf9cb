// This node's view of its federation: mode (open|closed), the membership book (roots,
// certificates, rotations, revocations), this node's own certificate, and their persistence
// (db bucket `federation`, `membership.json`, and `federation-log.json`, where the root
// holder's CLI leaves the rotations and revocations it signed). Admission reads it through
// `closed()` and `whyNot()`.

import { readFile } from 'node:fs/promises'
import type { HomePaths } from '../config/paths.ts'
import type { SwarmConfig } from '../config/schema.ts'
import { EnvelopeValidator, type EnvelopeBase, type Verdict } from '../envelope/index.ts'
import type { Bucket } from '../store/db.ts'
import {
  bindRootKey, CERTIFICATE_TYPE, FEDERATION_TYPES, REVOCATION_TYPE, ROTATION_TYPE, verifyCountersignature,
  type CertificateEnvelope, type FederationEnvelope, type RevocationEnvelope, type RotationEnvelope
} from './envelopes.ts'
import { MembershipBook, type RootSpec } from './trust.ts'
import type { MembershipView } from './admission.ts'

export type FederationMode = 'open' | 'closed'

export interface IngestResult {
  /** New and kept (worth passing on). */
  added: boolean
  /** Why it was not kept: a verdict reason, or a certificate problem (`unknown-issuer`, …). */
  reason?: string
  action?: 'reject' | 'ignore'
}

export interface MembershipInit {
  federation: string
  config: SwarmConfig['federation']
  clockSkewSec: number
  bucket?: Bucket
  paths?: Pick<HomePaths, 'membership' | 'federationLog'>
  now?: () => number
}

/** What one bundle may carry and cost (hello bundles, files, the db). */
export const BUNDLE_LIMITS = { envelopes: 2000, rotations: 32, revocations: 256, badSignatures: 16 }

export interface BundleReport {
  added: FederationEnvelope[]
  refused: Array<{ id: string, type: string, reason: string }>
}

function keyOf (e: FederationEnvelope): string {
  return `${e.type === CERTIFICATE_TYPE ? 'cert' : e.type === ROTATION_TYPE ? 'rotation' : 'revocation'}:${e.id}`
}

const ORDER: Record<string, number> = { [ROTATION_TYPE]: 0, [REVOCATION_TYPE]: 1, [CERTIFICATE_TYPE]: 2 }

/** Rotations first (they decide which roots count), then revocations, then certificates. */
export function inTrustOrder<E extends { type: string }> (list: E[]): E[] {
  return [...list].sort((a, b) => (ORDER[a.type] ?? 3) - (ORDER[b.type] ?? 3))
}

export class Membership implements MembershipView {
  readonly federation: string
  readonly book: MembershipBook
  mode: FederationMode
  own?: CertificateEnvelope
  /** Why our own certificate does not make us a member (undefined when it does). */
  ownProblem?: string
  private readonly now: () => number
  /** Junk entries deleted from the db at the last load. */
  pruned = 0
  private readonly bucket?: Bucket
  private readonly paths?: MembershipInit['paths']
  /** For gossip: remembers ids, so echoes are duplicates. */
  readonly gossipValidator: EnvelopeValidator
  /** For hello bundles and files: no replay memory (the same certificates come again and again). */
  private readonly bundleValidator: EnvelopeValidator

  constructor (init: MembershipInit) {
    this.federation = init.federation
    this.mode = init.config.mode
    this.now = init.now ?? Date.now
    this.bucket = init.bucket
    this.paths = init.paths
    this.book = new MembershipBook(init.federation, init.config.roots as RootSpec[], verifyCountersignature)
    const opts = { clockSkewSec: init.clockSkewSec, bindKey: bindRootKey, now: this.now }
    this.gossipValidator = new EnvelopeValidator(opts)
    this.bundleValidator = new EnvelopeValidator({ ...opts, replayCacheSize: 0 })
  }

  closed (): boolean { return this.mode === 'closed' }

  whyNot (nodeId: string): string | undefined {
    return this.book.whyNot(nodeId, this.now())
  }

  /**
   * Refuses without verifying a signature what could never be kept: a rotation not signed as
   * its own old root (reject), a revocation or certificate of our federation from a root not
   * trusted now (ignore: it may become trusted later), an envelope held already (ignore).
   */
  precheck (data: Uint8Array): { action: 'reject' | 'ignore', reason: string, detail: string } | undefined {
    let e: any
    try { e = JSON.parse(new TextDecoder().decode(data)) } catch { return undefined }
    if (e === null || typeof e !== 'object' || typeof e.id !== 'string') return undefined
    if (this.book.has(e.id)) return { action: 'ignore', reason: 'duplicate', detail: `${e.id} is held already` }
    if (e['federation/id'] !== this.federation) return undefined
    if (e.type === ROTATION_TYPE && e.sender?.pubkey !== e['old-root']) return { action: 'reject', reason: 'bad-issuer', detail: 'a rotation must be signed by its old root' }
    const signer = e.type === CERTIFICATE_TYPE ? e.issuer : e.type === REVOCATION_TYPE ? e.sender?.pubkey : undefined
    if (signer !== undefined && !this.book.roots().has(signer)) return { action: 'ignore', reason: 'unknown-issuer', detail: 'not signed by a root trusted now' }
    return undefined
  }

  /** Validates a federation envelope (object or text) from a bundle or file. */
  validate (input: unknown, gossip = false): Verdict {
    const v = gossip ? this.gossipValidator : this.bundleValidator
    return v.validateSync(input as object, { expectType: FEDERATION_TYPES })
  }

  /** Takes in a validated federation envelope (gossip); persists what it keeps. */
  async ingest (e: FederationEnvelope): Promise<IngestResult> {
    const reason = this.keep(e, this.now())
    if (reason === undefined) {
      await this.persist([e])
      if (e.type !== CERTIFICATE_TYPE) this.checkOwn()
      return { added: true }
    }
    return { added: false, reason, action: reason === 'wrong-federation' || reason === 'bad-issuer' ? 'reject' : 'ignore' }
  }

  /** Why `e` is not kept (undefined: kept). Rotations and revocations must chain to a root trusted at `now`. */
  private keep (e: FederationEnvelope, now: number): string | undefined {
    if (e.type === ROTATION_TYPE) {
      if (this.book.has(e.id)) return 'duplicate'
      const d = this.book.admitRotations([e as RotationEnvelope], now)
      return d.accepted.length === 1 ? undefined : d.refused[0]?.reason ?? 'unknown-root'
    }
    if (e.type === REVOCATION_TYPE) return this.book.addRevocation(e as RevocationEnvelope, now)
    return this.book.addCertificate(e as CertificateEnvelope)
  }

  /**
   * Takes in a bundle (hello, files, or the db when `restoring`). Bounded: at most
   * BUNDLE_LIMITS.envelopes items, rotations and revocations capped apart; cheap checks (our
   * federation, signed by a root we trust or the rotation's own old root, not held yet) come
   * before any signature is verified, and the bundle is dropped after BUNDLE_LIMITS.badSignatures
   * failed verifications. Rotations first (they decide which roots count), then revocations,
   * then certificates; the roots are recomputed once per phase, not per envelope.
   */
  async ingestAll (list: unknown[], opts: { restoring?: boolean } = {}): Promise<BundleReport> {
    const now = this.now()
    const report: BundleReport = { added: [], refused: [] }
    const byType = new Map<string, any[]>()
    for (const item of list.slice(0, BUNDLE_LIMITS.envelopes)) {
      if (item === null || typeof item !== 'object' || typeof (item as any).type !== 'string') continue
      const t = (item as any).type as string
      const group = byType.get(t) ?? []
      group.push(item)
      byType.set(t, group)
    }
    let bad = 0
    const verified = <E>(items: any[], cap: number, pre: (x: any) => boolean): E[] => {
      const out: E[] = []
      for (const [i, x] of items.entries()) {
        if (i >= cap) { report.refused.push({ id: String(x.id), type: String(x.type), reason: 'too-many' }); continue }
        if (typeof x.id !== 'string' || this.book.has(x.id) || !pre(x)) continue
        if (bad >= BUNDLE_LIMITS.badSignatures) { report.refused.push({ id: x.id, type: x.type, reason: 'bundle-dropped' }); continue }
        const v = this.validate(x)
        if (v.ok) out.push(v.envelope as E)
        else { bad++; report.refused.push({ id: x.id, type: x.type, reason: v.reason }) }
      }
      return out
    }
    const ours = (x: any): boolean => x['federation/id'] === this.federation && x.sender?.['federation/id'] === this.federation
    const rotations = verified<RotationEnvelope>(byType.get(ROTATION_TYPE) ?? [], BUNDLE_LIMITS.rotations, (x) => ours(x) && x.sender?.pubkey === x['old-root'])
    if (opts.restoring === true) {
      for (const r of rotations) if (this.book.addRotation(r)) report.added.push(r)
    } else if (rotations.length > 0) {
      const d = this.book.admitRotations(rotations, now)
      report.added.push(...d.accepted)
      for (const { rotation, reason } of d.refused) report.refused.push({ id: rotation.id, type: ROTATION_TYPE, reason })
    }
    const roots = this.book.roots()
    const revocations = verified<RevocationEnvelope>(byType.get(REVOCATION_TYPE) ?? [], BUNDLE_LIMITS.revocations, (x) => ours(x) && roots.has(x.sender?.pubkey))
    for (const r of revocations) {
      const why = this.book.addRevocation(r, opts.restoring === true ? undefined : now)
      if (why === undefined) report.added.push(r)
      else report.refused.push({ id: r.id, type: REVOCATION_TYPE, reason: why })
    }
    const certificates = verified<CertificateEnvelope>(byType.get(CERTIFICATE_TYPE) ?? [], BUNDLE_LIMITS.envelopes, (x) => ours(x) && roots.has(x.issuer) && x.sender?.pubkey === x.issuer)
    for (const c of certificates) {
      const why = this.book.addCertificate(c)
      if (why === undefined) report.added.push(c)
      else if (why !== 'duplicate') report.refused.push({ id: c.id, type: CERTIFICATE_TYPE, reason: why })
    }
    if (opts.restoring !== true) await this.persist(report.added)
    if (report.added.length > 0) this.checkOwn()
    return report
  }

  private async persist (list: FederationEnvelope[]): Promise<void> {
    if (this.bucket === undefined || list.length === 0) return
    await this.bucket.batch(list.map((e) => ({ type: 'put' as const, key: keyOf(e), value: e })), { sync: true } as object)
  }

  /**
   * Restores the book from the db, then reads membership.json and federation-log.json. Stored
   * envelopes the book no longer keeps (junk an older version persisted) are deleted.
   */
  async load (selfNodeId: string): Promise<FederationEnvelope[]> {
    if (this.bucket !== undefined) {
      const stored: Array<[string, unknown]> = []
      for await (const entry of this.bucket.iterator()) stored.push(entry as [string, unknown])
      await this.ingestAll(stored.map(([, v]) => v), { restoring: true })
      const junk = stored.filter(([, v]) => typeof (v as any)?.id !== 'string' || !this.book.has((v as any).id)).map(([k]) => k)
      if (junk.length > 0) await this.bucket.batch(junk.map((key) => ({ type: 'del' as const, key })))
      this.pruned = junk.length
    }
    return await this.reloadFiles(selfNodeId)
  }

  /** Re-reads this node's certificate and the root holder's log; returns envelopes new to the book. */
  async reloadFiles (selfNodeId: string): Promise<FederationEnvelope[]> {
    const added: FederationEnvelope[] = []
    const log = await readJson(this.paths?.federationLog)
    // the root holder's own log: rotations it signed itself (restored like the db, not re-judged on the clock)
    if (Array.isArray(log)) added.push(...(await this.ingestAll(log, { restoring: true })).added)
    if (added.length > 0) await this.persist(added)
    const cert = await readJson(this.paths?.membership)
    this.own = undefined
    this.ownProblem = cert === undefined ? 'no-certificate' : undefined
    if (cert !== undefined) {
      const v = this.validate(cert)
      if (!v.ok) this.ownProblem = `bad certificate file: ${v.reason} ${v.detail}`
      else if (v.envelope.type !== CERTIFICATE_TYPE) this.ownProblem = 'membership.json is not a membership certificate'
      else if ((v.envelope as CertificateEnvelope)['member/node-id'] !== selfNodeId) this.ownProblem = 'membership.json certifies another node'
      else {
        this.own = v.envelope as CertificateEnvelope
        const r = await this.ingest(this.own)
        if (r.added) added.push(this.own)
      }
    }
    this.checkOwn()
    return added
  }

  /** Applies a new `federation` config section (mode and roots). */
  setConfig (config: SwarmConfig['federation']): void {
    this.mode = config.mode
    this.book.setConfigRoots(config.roots as RootSpec[])
    this.checkOwn()
  }

  private checkOwn (): void {
    if (this.own === undefined) return
    this.ownProblem = this.book.whyNot(this.own['member/node-id'], this.now())
  }

  /** What a hello carries: every root-signed envelope this node holds, in trust order. */
  bundle (limit = 2000): EnvelopeBase[] {
    const all: EnvelopeBase[] = [...this.book.allRotations(), ...this.book.allRevocations()]
    if (this.own !== undefined) all.push(this.own)
    for (const c of this.book.allCertificates()) if (c.id !== this.own?.id) all.push(c)
    return all.slice(0, limit)
  }
}

async function readJson (path: string | undefined): Promise<unknown> {
  if (path === undefined) return undefined
  let text: string
  try { text = await readFile(path, 'utf8') } catch { return undefined }
  try { return JSON.parse(text) } catch { return undefined }
}
