// Federation envelopes: membership certificates, root rotations and revocations, all signed by
// a federation root. A root is a key, not a node: its envelopes carry the sender
// `{node/id: "root:did:key:z6Mk…", federation/id, pubkey: <root key>}`, and validators accept
// that id through `bindRootKey` (the id is derived from the key, as a node's is).

import { createHash } from 'node:crypto'
import { z } from 'zod'
import {
  defineEnvelopeType, buildEnvelope, createSigner, didKeyFromPublicKey, parsePubkey, encodeSignature, decodeSignature, signingInput,
  syncEd25519, type BuildOptions, type EnvelopeBase, type Signer, type TimeInput, toTimestamp
} from '../envelope/index.ts'
import { envelopeSchema, timestamp, nodeId, signature } from '../envelope/schemas.ts'

export const CERTIFICATE_TYPE = 'swarm/membership-certificate'
export const ROTATION_TYPE = 'swarm/root-rotation'
export const REVOCATION_TYPE = 'swarm/revocation'
export const FEDERATION_TYPES = [CERTIFICATE_TYPE, ROTATION_TYPE, REVOCATION_TYPE] as const

/** Domain of the new root's countersignature on a rotation (the old root signs the envelope). */
export const COUNTERSIGN_DOMAIN = 'swarm/root-rotation.countersign.v1'
const ROOT_ID_PREFIX = 'root:did:key:'

const pubkey = z.string().regex(/^ed25519:[0-9a-f]{64}$/, 'must be ed25519:<64 lowercase hex>')
const federationId = z.string().regex(/^fed:[A-Za-z0-9._-]{1,64}$/, 'must be fed:<name>')

export const certificateSchema = envelopeSchema(CERTIFICATE_TYPE, 'cert', {
  'federation/id': federationId,
  'member/node-id': nodeId,
  'member/pubkey': pubkey,
  'not-before': timestamp,
  'not-after': timestamp,
  issuer: pubkey
})

export const rotationSchema = envelopeSchema(ROTATION_TYPE, 'rotation', {
  'federation/id': federationId,
  'old-root': pubkey,
  'new-root': pubkey,
  'overlap-until': timestamp,
  countersignature: signature
})

export const revocationSchema = envelopeSchema(REVOCATION_TYPE, 'revocation', {
  'federation/id': federationId,
  'member/node-id': nodeId,
  reason: z.string().max(4096)
})

export type CertificateEnvelope = z.infer<typeof certificateSchema>
export type RotationEnvelope = z.infer<typeof rotationSchema>
export type RevocationEnvelope = z.infer<typeof revocationSchema>
export type FederationEnvelope = CertificateEnvelope | RotationEnvelope | RevocationEnvelope

defineEnvelopeType({ type: CERTIFICATE_TYPE, idKind: 'cert', schema: certificateSchema, maxBytes: 4096, expiresAt: (e: CertificateEnvelope) => Date.parse(e['not-after']) })
defineEnvelopeType({ type: ROTATION_TYPE, idKind: 'rotation', schema: rotationSchema, maxBytes: 4096 })
defineEnvelopeType({ type: REVOCATION_TYPE, idKind: 'revocation', schema: revocationSchema, maxBytes: 8192 })

/** `root:did:key:z6Mk…`: the sender id of envelopes a root signs. */
export function rootIdOf (rootPubkey: string): string | undefined {
  const raw = parsePubkey(rootPubkey)
  return raw === undefined ? undefined : ROOT_ID_PREFIX + didKeyFromPublicKey(raw)
}

/**
 * A root's fingerprint as shown to people: `SHA256:` and the unpadded base64 of the SHA-256 of
 * the raw 32-byte key (the ssh-keygen -l form), short enough to read out over the phone.
 */
export function rootFingerprint (rootPubkey: string): string | undefined {
  const raw = parsePubkey(rootPubkey)
  return raw === undefined ? undefined : 'SHA256:' + createHash('sha256').update(raw).digest('base64').replace(/=+$/, '')
}

/** The validator hook that binds `root:did:key:…` ids to their key. */
export function bindRootKey (id: string, key: string): boolean {
  return id.startsWith(ROOT_ID_PREFIX) && rootIdOf(key) === id
}

/** A Signer for a federation root (its id is `root:did:key:…`). */
export function createRootSigner (secretKey: Uint8Array, federation: string): Signer {
  const s = createSigner(secretKey, federation)
  return { ...s, nodeId: rootIdOf(s.pubkey) as string }
}

export interface CertificateInit {
  federation: string
  memberNodeId: string
  memberPubkey: string
  notBefore?: TimeInput
  notAfter: TimeInput
}

export function buildCertificate (root: Signer, c: CertificateInit, opts: BuildOptions = {}): CertificateEnvelope {
  return buildEnvelope<CertificateEnvelope>(CERTIFICATE_TYPE, {
    'federation/id': c.federation,
    'member/node-id': c.memberNodeId,
    'member/pubkey': c.memberPubkey,
    'not-before': toTimestamp(c.notBefore ?? opts.createdAt ?? Date.now()),
    'not-after': toTimestamp(c.notAfter),
    issuer: root.pubkey
  }, root, opts)
}

/** What the new root countersigns: the rotation's id and its four facts. */
function countersignInput (id: string, f: { 'federation/id': string, 'old-root': string, 'new-root': string, 'overlap-until': string }): Uint8Array {
  return signingInput(COUNTERSIGN_DOMAIN, { id, 'federation/id': f['federation/id'], 'old-root': f['old-root'], 'new-root': f['new-root'], 'overlap-until': f['overlap-until'] })
}

export function buildRotation (oldRoot: Signer, newRoot: Signer, overlapUntil: TimeInput, opts: BuildOptions = {}): RotationEnvelope {
  const facts = { 'federation/id': oldRoot.federation, 'old-root': oldRoot.pubkey, 'new-root': newRoot.pubkey, 'overlap-until': toTimestamp(overlapUntil) }
  return buildEnvelope<RotationEnvelope>(ROTATION_TYPE, (id) => ({ ...facts, countersignature: encodeSignature(newRoot.sign(countersignInput(id, facts))) }), oldRoot, opts)
}

/** True when the rotation's countersignature verifies under its new root. */
export function verifyCountersignature (r: RotationEnvelope): boolean {
  const key = parsePubkey(r['new-root'])
  const sig = decodeSignature(r.countersignature.value)
  if (key === undefined || sig === undefined) return false
  try {
    return syncEd25519().verifySync?.(key, countersignInput(r.id, r), sig) === true
  } catch {
    return false
  }
}

export function buildRevocation (root: Signer, memberNodeId: string, reason = '', opts: BuildOptions = {}): RevocationEnvelope {
  return buildEnvelope<RevocationEnvelope>(REVOCATION_TYPE, { 'federation/id': root.federation, 'member/node-id': memberNodeId, reason }, root, opts)
}

export function isFederationEnvelope (e: EnvelopeBase): e is FederationEnvelope {
  return (FEDERATION_TYPES as readonly string[]).includes(e.type)
}
