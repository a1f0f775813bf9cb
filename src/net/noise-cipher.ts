// The daemon's Noise transport cipher: for frames of 1200 bytes and more, ChaCha20-Poly1305 from
// node:crypto with one KeyObject per session key. Noise's stock crypto hands node:crypto the key as
// bytes on every such frame, and Node 24 then probes those bytes as a KeyObject and as a CryptoKey,
// each probe a thrown and caught exception: ~15 of the ~22 µs it costs to open a 1.3 KB frame
// here, paid for every gossip message and every chunk of an attachment a node receives
// (docs/ingest.md), and as much again to seal one: a holder sending an attachment spent 5 % of its
// time in the two probes (docs/attachments.md). Smaller frames (yamux window updates, acks) stay
// on the stock WebAssembly cipher, faster than any node:crypto call at that size.
// A Noise cipher key never changes after it is derived, so the KeyObject is made once, kept
// beside the key bytes noise holds, and checked against them so that a key rewritten in place
// could never be used with its old KeyObject. The bytes are the same either way: this is
// interoperable with any Noise peer (the test checks it against the stock crypto both ways).
// Everything else (handshake DH, hashing, HKDF) is noise's own.

import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import { defaultCrypto } from '@libp2p/noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import type { ICryptoInterface } from '@libp2p/noise'

const CIPHER = 'chacha20-poly1305'
const TAG_BYTES = 16
/** Below this many bytes the stock (WebAssembly) cipher is the faster one (noise's own cut-off). */
const NODE_FROM_BYTES = 1200

interface HeldKey { bytes: Buffer, key: KeyObject }
type Bytes = Parameters<ICryptoInterface['chaCha20Poly1305Decrypt']>[0]

/** One per daemon: its cache is weak, a session's entry goes with the session's key bytes. */
export function noiseCipher (): ICryptoInterface {
  const held = new WeakMap<Uint8Array, HeldKey>()

  const keyOf = (k: Uint8Array): KeyObject => {
    const hit = held.get(k)
    if (hit !== undefined && hit.bytes.equals(k)) return hit.key
    // a copy of its own (Buffer.from would slice Node's shared buffer pool and pin a slab of it for the session)
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
      const cipher = createCipheriv(CIPHER, keyOf(k), nonce, { authTagLength: TAG_BYTES })
      cipher.setAAD(ad, { plaintextLength: plaintext.byteLength })
      // a list (a yamux header and its data) is sealed piece by piece and handed on as a list, never joined
      // (@libp2p/tcp writes each piece with its own write call: no empty ones)
      const sealed = new Uint8ArrayList()
      for (const p of pieces(plaintext)) if (p.byteLength > 0) sealed.append(cipher.update(p))
      const last = cipher.final()
      if (last.byteLength > 0) sealed.append(last)
      sealed.append(cipher.getAuthTag())
      return sealed as unknown as Uint8Array
    },
    chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, dst) {
      if (ciphertext.byteLength < NODE_FROM_BYTES) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
      const textBytes = ciphertext.byteLength - TAG_BYTES
      const decipher = createDecipheriv(CIPHER, keyOf(k), nonce, { authTagLength: TAG_BYTES })
      decipher.setAAD(ad, { plaintextLength: textBytes })
      decipher.setAuthTag(ciphertext.subarray(textBytes))
      const text = ciphertext instanceof Uint8Array ? ciphertext.subarray(0, textBytes) : ciphertext.sublist(0, textBytes)
      const parts = pieces(text).map((p) => decipher.update(p))
      // final() throws when the tag does not match: a tampered frame never yields plaintext
      const last = decipher.final()
      if (last.byteLength > 0) parts.push(last)
      if (parts.length === 1) return parts[0]
      // a frame that arrived in pieces is opened piece by piece and handed on as a list, never joined
      return new Uint8ArrayList(...parts) as unknown as Uint8Array
    }
  }
}

// Noise passes a list of chunks for a frame made of pieces (a header and its data, or a frame that
// arrived in several reads).
const pieces = (data: Bytes): Uint8Array[] => data instanceof Uint8Array ? [data] : [...data]
// The lists handed back are this project's Uint8ArrayList, noise's own is another major version
// (hence the casts): lists of any version take each other's pieces, recognising one another by a
// shared Symbol.for key, as yamux's lists already reach noise.
