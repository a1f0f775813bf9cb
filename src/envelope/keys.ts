// Ed25519 key notation (W3C did:key, multicodec ed25519-pub 0xed01, base58btc). A node id is
// `node:did:key:z6Mk…`, derived from its public key, so any receiver can check that an
// envelope's sender id and key belong together without asking anyone.

import { base58btc } from 'multiformats/bases/base58'

const ED25519_PUB_MULTICODEC = Uint8Array.of(0xed, 0x01)
const NODE_ID_PREFIX = 'node:did:key:'
const PUBKEY_PREFIX = 'ed25519:'

/** `z6Mk…`: the did:key method-specific id of an Ed25519 public key. */
export function didKeyFromPublicKey (publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new TypeError(`ed25519 public key must be 32 bytes, got ${publicKey.length}`)
  const bytes = new Uint8Array(34)
  bytes.set(ED25519_PUB_MULTICODEC, 0)
  bytes.set(publicKey, 2)
  return base58btc.encode(bytes)
}

export function nodeIdFromPublicKey (publicKey: Uint8Array): string {
  return NODE_ID_PREFIX + didKeyFromPublicKey(publicKey)
}

/** The public key a did:key node id names, or undefined when the id is not a derived one. */
export function publicKeyFromNodeId (nodeId: string): Uint8Array | undefined {
  if (!nodeId.startsWith(NODE_ID_PREFIX)) return undefined
  return publicKeyFromDidKey(nodeId.slice(NODE_ID_PREFIX.length))
}

export function publicKeyFromDidKey (didKey: string): Uint8Array | undefined {
  try {
    const bytes = base58btc.decode(didKey)
    if (bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) return undefined
    return bytes.slice(2)
  } catch {
    return undefined
  }
}

/** `ed25519:<64 lowercase hex>` */
export function formatPubkey (publicKey: Uint8Array): string {
  return PUBKEY_PREFIX + bytesToHex(publicKey)
}

export function parsePubkey (text: string): Uint8Array | undefined {
  if (!/^ed25519:[0-9a-f]{64}$/.test(text)) return undefined
  return hexToBytes(text.slice(PUBKEY_PREFIX.length))
}

export function hexToBytes (hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('not a hex string')
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

export function bytesToHex (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}
