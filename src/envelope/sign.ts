// Signing: an envelope's signature is Ed25519 over signingInput(`<type>.v1`, envelope minus
// `signature`), written `base64url:<unpadded>`. Also the signer made from a raw secret key.

import { SwarmError } from '../errors.ts'
import { base64urlDecode, base64urlEncode } from './base64url.ts'
import { envelopeType } from './catalogue.ts'
import { domainOf, signingInput } from './codec.ts'
import { syncEd25519, type Ed25519Backend } from './ed25519.ts'
import { formatPubkey, nodeIdFromPublicKey } from './keys.ts'
import type { EnvelopeSignature, Sender, Signer } from './types.ts'

export const SIGNATURE_PREFIX = 'base64url:'
export const DEFAULT_FEDERATION = 'fed:default'

/** A Signer from the 32-byte Ed25519 secret key (seed); its node id is the derived did:key. */
export function createSigner (secretKey: Uint8Array, federation = DEFAULT_FEDERATION, backend: Ed25519Backend = syncEd25519()): Signer {
  if (secretKey.length !== 32) throw new TypeError(`ed25519 secret key must be 32 bytes, got ${secretKey.length}`)
  if (backend.signSync === undefined || backend.publicKeyOf === undefined) throw new TypeError(`ed25519 backend ${backend.name} cannot sign synchronously`)
  const seed = secretKey.slice()
  const publicKey = backend.publicKeyOf(seed)
  const signSync = backend.signSync
  return {
    nodeId: nodeIdFromPublicKey(publicKey),
    federation,
    publicKey,
    pubkey: formatPubkey(publicKey),
    sign: (data) => signSync(seed, data)
  }
}

export function senderOf (signer: Signer): Sender {
  return { 'node/id': signer.nodeId, 'federation/id': signer.federation, pubkey: signer.pubkey }
}

/** The signing domain of an envelope: the catalogue's, else `<type>.v1`. */
export function domainOfEnvelope (envelope: { type: string }): string {
  return envelopeType(envelope.type)?.domain ?? domainOf(envelope.type)
}

/** The exact bytes an envelope's signature covers. */
export function envelopeSigningInput (envelope: object & { type: string }): Uint8Array {
  return signingInput(domainOfEnvelope(envelope), envelope as Record<string, unknown>)
}

export function encodeSignature (signature: Uint8Array): EnvelopeSignature {
  return { alg: 'ed25519', value: SIGNATURE_PREFIX + base64urlEncode(signature) }
}

/** The 64 signature bytes of `base64url:…`, or undefined when malformed. */
export function decodeSignature (value: string): Uint8Array | undefined {
  if (!value.startsWith(SIGNATURE_PREFIX)) return undefined
  const bytes = base64urlDecode(value.slice(SIGNATURE_PREFIX.length))
  return bytes?.length === 64 ? bytes : undefined
}

/**
 * Signs an envelope: fills `sender` from the signer when absent, replaces any `signature`, and
 * checks the result against the catalogue schema (a builder bug should fail here, not at peers).
 */
export function signEnvelope<T extends { type: string, sender?: Sender, signature?: unknown }> (unsigned: T, signer: Signer): Signed<T> {
  const { signature: _old, ...rest } = unsigned as Record<string, unknown> & { type: string, sender?: Sender }
  const row = envelopeType(rest.type)
  if (row === undefined) throw new SwarmError('unknown-type', `unknown envelope type ${String(rest.type)}`)
  rest.sender ??= senderOf(signer)
  if (rest.sender.pubkey !== signer.pubkey) throw new SwarmError('key-mismatch', 'sender.pubkey is not the signer\'s key')
  const signed = { ...rest, signature: encodeSignature(signer.sign(signingInput(row.domain, rest))) }
  const check = row.schema.safeParse(signed)
  if (!check.success) {
    const issue = check.error.issues[0]
    const path = formatPath(issue.path)
    throw new SwarmError('bad-schema', `${row.type} ${path}: ${issue.message}`, { detail: { path } })
  }
  return signed as unknown as Signed<T>
}

/** An envelope as signEnvelope returns it: sender filled in, signature set. */
export type Signed<T> = Omit<T, 'signature' | 'sender'> & { sender: Sender, signature: EnvelopeSignature }

/** `delivery.response-channel/id`, `question.tags[2]` */
export function formatPath (path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : (out === '' ? '' : '.') + String(p)
  return out === '' ? '(envelope)' : out
}
