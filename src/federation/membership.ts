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

  /** Validates a federation envelope (object or text) from a bundle or file. */
  validate (input: unknown, gossip = false): Verdict {
    const v = gossip ? this.gossipValidator : this.bundleValidator
    return v.validateSync(input as object, { expectType: FEDERATION_TYPES })
  }

  /** Takes in a validated federation envelope; persists what it keeps. */
  async ingest (e: FederationEnvelope): Promise<IngestResult> {
    let added = false
    let reason: string | undefined
    if (e.type === ROTATION_TYPE) {
      added = this.book.addRotation(e as RotationEnvelope)
      if (!added) reason = e['federation/id'] !== this.federation ? 'wrong-federation' : 'duplicate'
    } else if (e.type === REVOCATION_TYPE) {
      added = this.book.addRevocation(e as RevocationEnvelope)
      if (!added) reason = e['federation/id'] !== this.federation ? 'wrong-federation' : 'duplicate'
    } else {
      const problem = this.book.addCertificate(e as CertificateEnvelope)
      added = problem === undefined
      reason = problem
    }
    if (added) await this.bucket?.put(`${e.type === CERTIFICATE_TYPE ? 'cert' : e.type === ROTATION_TYPE ? 'rotation' : 'revocation'}:${e.id}`, e)
    if (added && e.type !== CERTIFICATE_TYPE) this.checkOwn()
    return added ? { added } : { added, reason, action: reason === 'duplicate' ? 'ignore' : reason === 'wrong-federation' || reason === 'bad-issuer' ? 'reject' : 'ignore' }
  }

  /** Validates then ingests each envelope of a bundle, in trust order; returns the ones added. */
  async ingestAll (list: unknown[]): Promise<FederationEnvelope[]> {
    const valid: FederationEnvelope[] = []
    for (const item of list) {
      const v = this.validate(item)
      if (v.ok) valid.push(v.envelope as FederationEnvelope)
    }
    const added: FederationEnvelope[] = []
    for (const e of inTrustOrder(valid)) if ((await this.ingest(e)).added) added.push(e)
    if (added.length > 0) this.checkOwn()
    return added
  }

  /** Restores the book from the db, then reads membership.json and federation-log.json. */
  async load (selfNodeId: string): Promise<FederationEnvelope[]> {
    const stored: unknown[] = []
    if (this.bucket !== undefined) for await (const [, v] of this.bucket.iterator()) stored.push(v)
    await this.ingestAll(stored)
    return await this.reloadFiles(selfNodeId)
  }

  /** Re-reads this node's certificate and the root holder's log; returns envelopes new to the book. */
  async reloadFiles (selfNodeId: string): Promise<FederationEnvelope[]> {
    const added: FederationEnvelope[] = []
    const log = await readJson(this.paths?.federationLog)
    if (Array.isArray(log)) added.push(...await this.ingestAll(log))
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
