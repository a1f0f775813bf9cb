// Ed25519 (RFC 8032) backends behind one interface: node:crypto where present (fast, sync),
// WebCrypto in browsers (async), noble where neither works. All three must give the same
// verdict; noble runs with zip215 off (RFC 8032 strict), which is what OpenSSL does. noble is
// @noble/curves' ed25519, which the page already carries for sealing (X25519): one copy, not two.

import { ed25519 as noble } from '@noble/curves/ed25519.js'
import { createNodeEd25519 } from './ed25519-node.ts'
import { pkcs8Of } from './der.ts'

export interface Ed25519Backend {
  readonly name: 'node' | 'webcrypto' | 'noble'
  /** Never throws: malformed keys or signatures are simply false. */
  verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>
  /** Present on backends that can verify synchronously (gossipsub topic validators want that). */
  verifySync?: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean
  /** `seed` is the 32-byte RFC 8032 secret key. */
  sign: (seed: Uint8Array, message: Uint8Array) => Promise<Uint8Array>
  signSync?: (seed: Uint8Array, message: Uint8Array) => Uint8Array
  publicKeyOf?: (seed: Uint8Array) => Uint8Array
}

const strict = { zip215: false }

export const nobleEd25519: Ed25519Backend = {
  name: 'noble',
  verifySync: (publicKey, message, signature) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false
    try {
      return noble.verify(signature, message, publicKey, strict)
    } catch {
      return false
    }
  },
  verify: async (publicKey, message, signature) => nobleEd25519.verifySync!(publicKey, message, signature),
  signSync: (seed, message) => noble.sign(message, seed),
  sign: async (seed, message) => noble.sign(message, seed),
  publicKeyOf: (seed) => noble.getPublicKey(seed)
}

/** WebCrypto Ed25519; undefined when there is no `crypto.subtle`. Falls back to noble per call
 *  when the platform's subtle lacks Ed25519 (older browsers). */
export function createWebCryptoEd25519 (subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle): Ed25519Backend | undefined {
  if (subtle === undefined) return undefined
  const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>()
  let unsupported = false
  const importKey = (publicKey: Uint8Array): Promise<CryptoKey> => {
    let key = keys.get(publicKey)
    if (key === undefined) {
      key = subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify'])
      keys.set(publicKey, key)
    }
    return key
  }
  return {
    name: 'webcrypto',
    verify: async (publicKey, message, signature) => {
      if (publicKey.length !== 32 || signature.length !== 64) return false
      if (unsupported) return await nobleEd25519.verify(publicKey, message, signature)
      let key: CryptoKey
      try {
        key = await importKey(publicKey)
      } catch (err) {
        if ((err as Error).name === 'NotSupportedError') {
          unsupported = true
          return await nobleEd25519.verify(publicKey, message, signature)
        }
        return false // not a curve point
      }
      try {
        return await subtle.verify({ name: 'Ed25519' }, key, signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>)
      } catch {
        return false
      }
    },
    sign: async (seed, message) => {
      if (unsupported) return await nobleEd25519.sign(seed, message)
      const pkcs8 = pkcs8Of(seed)
      try {
        const key = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign'])
        return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, message as Uint8Array<ArrayBuffer>))
      } catch (err) {
        if ((err as Error).name !== 'NotSupportedError') throw err
        unsupported = true
        return await nobleEd25519.sign(seed, message)
      }
    }
  }
}

export function nodeEd25519 (): Ed25519Backend | undefined {
  return native
}

const native = createNodeEd25519()
let fallback: Ed25519Backend | undefined

/** The fastest backend this platform has: node:crypto, else WebCrypto, else noble. */
export function defaultEd25519 (): Ed25519Backend {
  if (native !== undefined) return native
  fallback ??= createWebCryptoEd25519() ?? nobleEd25519
  return fallback
}

/** A backend that can sign synchronously (Signer.sign is sync): node:crypto, else noble. */
export function syncEd25519 (): Ed25519Backend {
  return native ?? nobleEd25519
}
