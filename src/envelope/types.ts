// Shapes shared by every envelope, the signer a builder needs, and the validator's verdicts.

/** Who signs: the node's identity (src/identity's Identity satisfies this). */
export interface Signer {
  /** `node:did:key:z6Mk…`, bound to `publicKey`. */
  nodeId: string
  /** `fed:…` */
  federation: string
  /** `ed25519:<64 hex>` */
  pubkey: string
  /** 32 bytes */
  publicKey: Uint8Array
  /** Ed25519 signature (64 bytes) of `data`. */
  sign: (data: Uint8Array) => Uint8Array
}

export interface Sender {
  'node/id': string
  'federation/id': string
  pubkey: string
}

export interface EnvelopeSignature {
  alg: 'ed25519'
  /** `base64url:<unpadded>` */
  value: string
}

/** The fields every envelope has; type-specific fields sit beside them at the top level. */
export interface EnvelopeBase {
  type: string
  id: string
  sender: Sender
  'created-at': string
  signature: EnvelopeSignature
}

export type Unsigned<E extends EnvelopeBase> = Omit<E, 'signature'> & { signature?: EnvelopeSignature }

export type RejectReason =
  | 'bad-json'
  | 'too-large'
  | 'bad-schema'
  | 'bad-signature'
  | 'key-mismatch'
  | 'expired'
  | 'from-future'
  | 'replay'
  | 'duplicate'
  | 'unknown-type'
  /** The sender signed two versions of one id (ignored: the relays are not at fault; the key is refused). */
  | 'equivocation'

export interface Accepted<E extends EnvelopeBase = EnvelopeBase> {
  ok: true
  action: 'accept'
  envelope: E
  /** The JSON text the envelope arrived as (absent when an object was validated). */
  text?: string
}

export interface Refused {
  ok: false
  /** `ignore`: drop quietly (duplicates, timing); `reject`: the message is bad (penalise the sender). */
  action: 'reject' | 'ignore'
  reason: RejectReason
  detail: string
  /** The field at fault, for bad-schema (`question.urgency`, `sender.pubkey`, …). */
  path?: string
  type?: string
  id?: string
  /** For `equivocation`: the key at fault (`ed25519:<hex>`). */
  signer?: string
}

export type Verdict<E extends EnvelopeBase = EnvelopeBase> = Accepted<E> | Refused

/** Binds a node id to a key other than by derivation (a federation certificate, later). */
export type BindKey = (nodeId: string, pubkey: string, envelope: EnvelopeBase) => boolean
