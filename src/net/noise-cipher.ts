// The daemon's Noise transport cipher: for frames of 1200 bytes and more, ChaCha20-Poly1305 from
// node:crypto with one KeyObject per session key. Noise's stock crypto hands node:crypto the key
// as bytes on every such frame, and Node 24 then probes those bytes as a KeyObject and as a
// CryptoKey, each probe a thrown and caught exception: ~15 of the ~22 µs it costs to open a 1.3 KB
// frame here, paid by every gossip message and every chunk of an attachment (docs/ingest.md).
// Smaller frames (yamux window updates, acks) stay on the stock WebAssembly cipher, which is
// faster than any node:crypto call at that size. A Noise cipher key never changes after it is
// derived, so the KeyObject is made once, kept beside the key bytes noise holds, and checked
// against them so that a key rewritten in place could never be used with its old KeyObject.
// The frames are the same bytes either way: this is interoperable with any Noise peer (the test
// checks it against the stock crypto both ways). Everything else (handshake DH, hashing, HKDF)
// is noise's own.

import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import { defaultCrypto } from '@libp2p/noise/crypto'
import type { ICryptoInterface } from '@libp2p/noise'

const CIPHER = 'chacha20-poly1305'
const TAG_BYTES = 16
/** Below this many bytes the stock (WebAssembly) cipher is the faster one (noise's own cut-off). */
const NODE_FROM_BYTES = 1200

interface HeldKey { bytes: Buffer, key: KeyObject }
type Bytes = Parameters<ICryptoInterface['chaCha20Poly1305Encrypt']>[0]

/** One per daemon: its cache is weak, a session's entry goes with the session's key bytes. */
export function noiseCipher (): ICryptoInterface {
  const held = new WeakMap<Uint8Array, HeldKey>()

  const keyOf = (k: Uint8Array): KeyObject => {
    const hit = held.get(k)
    if (hit !== undefined && hit.bytes.equals(k)) return hit.key
    // a copy of its own (Buffer.from would slice the shared 8 KiB pool and pin it for the session)
    const bytes = Buffer.alloc(k.byteLength)
    bytes.set(k)
    const key = createSecretKey(bytes)
    held.set(k, { bytes, key })
    return key
  }

  return {
    ...defaultCrypto,
    chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
      if (plaintext.byteLength < NODE_FROM_BYTES) return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
      const text = flat(plaintext)
      const cipher = createCipheriv(CIPHER, keyOf(k), nonce, { authTagLength: TAG_BYTES })
      cipher.setAAD(ad, { plaintextLength: text.byteLength })
      const body = cipher.update(text)
      const tail = cipher.final()
      const tag = cipher.getAuthTag()
      return Buffer.concat([body, tail, tag], body.byteLength + tail.byteLength + tag.byteLength)
    },
    chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, dst) {
      if (ciphertext.byteLength < NODE_FROM_BYTES) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
      const sealed = flat(ciphertext)
      if (sealed.byteLength < TAG_BYTES) throw new Error('Invalid chacha20poly1305 decryption')
      const textBytes = sealed.byteLength - TAG_BYTES
      const decipher = createDecipheriv(CIPHER, keyOf(k), nonce, { authTagLength: TAG_BYTES })
      decipher.setAAD(ad, { plaintextLength: textBytes })
      decipher.setAuthTag(sealed.subarray(textBytes))
      const body = decipher.update(sealed.subarray(0, textBytes))
      // final() throws when the tag does not match: a tampered frame never yields plaintext
      const tail = decipher.final()
      return tail.byteLength === 0 ? body : Buffer.concat([body, tail], body.byteLength + tail.byteLength)
    }
  }
}

// Noise passes a list of chunks only for a frame that arrived in pieces; one copy joins them.
const flat = (data: Bytes): Uint8Array => data instanceof Uint8Array ? data : data.subarray()
