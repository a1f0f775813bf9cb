// The DER wrappers of a raw Ed25519 key (RFC 8410), said once: SPKI around a 32-byte public key,
// PKCS#8 around a 32-byte seed. No imports: node:crypto, WebCrypto and the page all use them.

export const SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)
export const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20)

/** `prefix ‖ key`. */
export function der (prefix: Uint8Array, key: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(prefix.length + key.length)
  out.set(prefix, 0)
  out.set(key, prefix.length)
  return out
}

/** A 32-byte Ed25519 seed as PKCS#8 DER. */
export const pkcs8Of = (seed: Uint8Array): Uint8Array<ArrayBuffer> => der(PKCS8_PREFIX, seed)
/** A 32-byte Ed25519 public key as SPKI DER. */
export const spkiOf = (publicKey: Uint8Array): Uint8Array<ArrayBuffer> => der(SPKI_PREFIX, publicKey)
