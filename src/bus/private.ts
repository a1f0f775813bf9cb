// Private scope: sealed envelopes (`swarm/sealed`). An ECIES-style box over X25519 keys derived
// from the nodes' Ed25519 keys (RFC 7748 birational map), HKDF-SHA256 (RFC 5869) and
// AES-256-GCM: one random content key encrypts the payload; for each recipient, an ephemeral
// X25519 agreement → HKDF → a key that wraps the content key. Recipients are listed only by a
// tag derived from that agreement's secret, so relays learn neither the content nor who it is
// for, and nobody holding a list of node ids can test one: only the recipient (and the sealer)
// can compute its tag. The
// sealed envelope is signed by its sender like any envelope; the payload is the real signed
// inner envelope plus the list of node ids the sender sealed it to (whom replies go to).

// Isomorphic (the daemon and the page share it): @noble/hashes and @noble/ciphers, randomness
// from crypto.getRandomValues.
import { z } from 'zod'
import { gcm } from '@noble/ciphers/aes.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import {
  base64urlDecode, base64urlEncode, buildEnvelope, bytesToHex, defineEnvelopeType, envelopeSchema, hexToBytes, publicKeyFromNodeId,
  type EnvelopeBase, type Signer
} from '../envelope/index.ts'
import { MAX_ENVELOPE_BYTES } from '../constants.ts'
import { SwarmError } from '../errors.ts'

export const SEALED_TYPE = 'swarm/sealed'
export const SEALED_ALG = 'x25519-hkdf-sha256-aes256gcm'
const HKDF_INFO = 'swarm/sealed.v1 key-wrap'
const RECIPIENT_INFO = 'swarm/sealed.v1 recipient-tag'
const MAX_RECIPIENTS = 64

const b64 = (min: number, max: number): z.ZodString => z.string().regex(new RegExp(`^base64url:[A-Za-z0-9_-]{${min},${max}}$`), 'must be base64url:<…>')

export const sealedFields = {
  'ttl-sec': z.number().int().min(1).max(30 * 24 * 3600),
  seal: z.strictObject({
    alg: z.literal(SEALED_ALG),
    ephemeral: z.string().regex(/^x25519:[0-9a-f]{64}$/, 'must be x25519:<64 hex>'),
    nonce: b64(16, 16)
  }),
  recipients: z.array(z.strictObject({
    'node/hash': z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex'),
    key: b64(64, 64)
  })).min(1).max(MAX_RECIPIENTS),
  ciphertext: b64(22, Math.ceil(MAX_ENVELOPE_BYTES * 4 / 3))
}

export const sealedSchema = envelopeSchema(SEALED_TYPE, 'sealed', sealedFields)
export type SealedEnvelope = z.infer<typeof sealedSchema>

defineEnvelopeType({
  type: SEALED_TYPE,
  idKind: 'sealed',
  schema: sealedSchema,
  expiresAt: (e: SealedEnvelope) => Date.parse(e['created-at']) + e['ttl-sec'] * 1000
})

/** What a sealed envelope carries once opened. */
export interface SealedPayload {
  /** Node ids it was sealed to (sender included): whom replies in the same channel go to. */
  to: string[]
  envelope: EnvelopeBase
}

export function x25519PublicFromNodeId (nodeId: string): Uint8Array {
  const ed = publicKeyFromNodeId(nodeId)
  if (ed === undefined) throw new SwarmError('bad-recipient', `${nodeId} is not a did:key node id (no key to seal to)`)
  return ed25519.utils.toMontgomery(ed)
}

export function x25519SecretFromSeed (seed: Uint8Array): Uint8Array {
  return ed25519.utils.toMontgomerySecret(seed)
}

const utf8 = new TextEncoder()

function concatBytes (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

function randomBytes (n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

/**
 * A recipient's tag: HKDF of the X25519 secret it shares with the ephemeral key (info apart from
 * the wrapping key's), over both public keys. Without that secret the tag is a random string.
 */
function recipientTag (shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array): string {
  return bytesToHex(hkdf(sha256, shared, concatBytes(ephemeral, recipient), utf8.encode(RECIPIENT_INFO), 32))
}

function wrappingKey (shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array): Uint8Array {
  return hkdf(sha256, shared, concatBytes(ephemeral, recipient), utf8.encode(HKDF_INFO), 32)
}

/** AES-256-GCM: ciphertext ‖ 16-byte tag. */
function gcmSeal (key: Uint8Array, nonce: Uint8Array, plain: Uint8Array, aad: Uint8Array): Uint8Array {
  return gcm(key, nonce, aad).encrypt(plain)
}

function gcmOpen (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  if (sealed.length < 16 || key.length !== 32 || nonce.length !== 12) return undefined
  try {
    return gcm(key, nonce, aad).decrypt(sealed)
  } catch {
    return undefined
  }
}

const ZERO_NONCE = new Uint8Array(12)
const unb64 = (s: string): Uint8Array => base64urlDecode(s.slice('base64url:'.length)) ?? new Uint8Array()
/** The payload is bound to the outer envelope's id and signer. */
const aadOf = (id: string, pubkey: string): Uint8Array => new TextEncoder().encode(`${SEALED_TYPE}\n${id}\n${pubkey}`)

export interface SealInit {
  /** Recipients' node ids; the sender is added so it can read its own channel back. */
  to: readonly string[]
  envelope: EnvelopeBase
  ttlSec: number
}

export function seal (signer: Signer, init: SealInit): SealedEnvelope {
  const to = [...new Set([...init.to, signer.nodeId])]
  if (to.length > MAX_RECIPIENTS) throw new SwarmError('too-many-recipients', `at most ${MAX_RECIPIENTS - 1} recipients`)
  const contentKey = randomBytes(32)
  const nonce = randomBytes(12)
  const eph = x25519.utils.randomSecretKey()
  const ephPub = x25519.getPublicKey(eph)
  const recipients = to.map((nodeId) => {
    const pub = x25519PublicFromNodeId(nodeId)
    const shared = x25519.getSharedSecret(eph, pub)
    const kek = wrappingKey(shared, ephPub, pub)
    return { 'node/hash': recipientTag(shared, ephPub, pub), key: 'base64url:' + base64urlEncode(gcmSeal(kek, ZERO_NONCE, contentKey, new Uint8Array())) }
  })
  const plain = new TextEncoder().encode(JSON.stringify({ to, envelope: init.envelope } satisfies SealedPayload))
  return buildEnvelope<SealedEnvelope>(SEALED_TYPE, (id) => ({
    'ttl-sec': init.ttlSec,
    seal: { alg: SEALED_ALG, ephemeral: 'x25519:' + bytesToHex(ephPub), nonce: 'base64url:' + base64urlEncode(nonce) },
    recipients,
    ciphertext: 'base64url:' + base64urlEncode(gcmSeal(contentKey, nonce, plain, aadOf(id, signer.pubkey)))
  }), signer)
}

export interface Opener {
  nodeId: string
  /** X25519 secret (x25519SecretFromSeed). */
  secret: Uint8Array
  /** X25519 public key. */
  publicKey: Uint8Array
}

/** The keys are derived on first use (the first sealed envelope): noble's X25519 costs a cold
 *  daemon tens of milliseconds of start-up otherwise. */
export function createOpener (nodeId: string, seed: Uint8Array): Opener {
  let secret: Uint8Array | undefined
  let publicKey: Uint8Array | undefined
  return {
    nodeId,
    get secret () { return (secret ??= x25519SecretFromSeed(seed)) },
    get publicKey () { return (publicKey ??= x25519.getPublicKey(this.secret)) }
  }
}

/** True when the sealed envelope lists `me` among its recipients (one X25519 agreement: only a recipient can tell). */
export function isRecipient (sealed: SealedEnvelope, me: Opener): boolean {
  return entryFor(sealed, me) !== undefined
}

function entryFor (sealed: SealedEnvelope, me: Opener): { entry: SealedEnvelope['recipients'][number], shared: Uint8Array, ephPub: Uint8Array } | undefined {
  const ephPub = hexToBytes(sealed.seal.ephemeral.slice('x25519:'.length))
  let shared: Uint8Array
  try {
    shared = x25519.getSharedSecret(me.secret, ephPub)
  } catch {
    return undefined // a low-order ephemeral key: nobody's recipient
  }
  const tag = recipientTag(shared, ephPub, me.publicKey)
  const entry = sealed.recipients.find((r) => r['node/hash'] === tag)
  return entry === undefined ? undefined : { entry, shared, ephPub }
}

/**
 * Opens a sealed envelope (whose outer signature the caller has verified). Undefined when this
 * node is not a recipient; throws `bad-seal` when it is but the box does not open.
 */
export function open (sealed: SealedEnvelope, me: Opener): SealedPayload | undefined {
  const found = entryFor(sealed, me)
  if (found === undefined) return undefined
  const { entry, shared, ephPub } = found
  const kek = wrappingKey(shared, ephPub, me.publicKey)
  const contentKey = gcmOpen(kek, ZERO_NONCE, unb64(entry.key), new Uint8Array())
  if (contentKey === undefined) throw new SwarmError('bad-seal', 'sealed key does not open')
  const plain = gcmOpen(contentKey, unb64(sealed.seal.nonce), unb64(sealed.ciphertext), aadOf(sealed.id, sealed.sender.pubkey))
  if (plain === undefined) throw new SwarmError('bad-seal', 'sealed payload does not open')
  let payload: SealedPayload
  try {
    payload = JSON.parse(new TextDecoder().decode(plain))
  } catch {
    throw new SwarmError('bad-seal', 'sealed payload is not JSON')
  }
  if (!Array.isArray(payload?.to) || payload.to.some((t) => typeof t !== 'string') || typeof payload.envelope !== 'object' || payload.envelope === null) {
    throw new SwarmError('bad-seal', 'sealed payload is not {to, envelope}')
  }
  if (payload.envelope.sender?.pubkey !== sealed.sender.pubkey) throw new SwarmError('bad-seal', 'inner envelope signed by someone other than the sealer')
  return payload
}
