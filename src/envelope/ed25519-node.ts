// Ed25519 (RFC 8032) on node:crypto, the hot-path backend: one KeyObject per key, reused.
// node:crypto is fetched with process.getBuiltinModule at runtime, not imported, so a browser
// bundle that includes this file pulls no node:crypto or Buffer; there it is simply absent.

import type { Ed25519Backend } from './ed25519.ts'
// DER prefixes that wrap a raw 32-byte key (RFC 8410): SPKI for public, PKCS#8 for the seed
import { der, PKCS8_PREFIX, SPKI_PREFIX } from './der.ts'

type NodeCrypto = typeof import('node:crypto')
type KeyObject = import('node:crypto').KeyObject


function loadNodeCrypto (): NodeCrypto | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    return proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined
  } catch {
    return undefined
  }
}

/** The node:crypto backend, or undefined outside Node (or on a Node without Ed25519). */
export function createNodeEd25519 (): Ed25519Backend | undefined {
  const nc = loadNodeCrypto()
  if (nc === undefined || typeof nc.verify !== 'function') return undefined
  // Keyed by the caller's key bytes: the validator keeps one Uint8Array per sender key in its
  // bounded cache, so KeyObjects live exactly as long as that entry (no second bound needed).
  const publicKeys = new WeakMap<Uint8Array, KeyObject>()
  const privateKeys = new WeakMap<Uint8Array, KeyObject>()

  const publicKeyObject = (publicKey: Uint8Array): KeyObject => {
    let key = publicKeys.get(publicKey)
    if (key === undefined) {
      key = nc.createPublicKey({ key: der(SPKI_PREFIX, publicKey) as Buffer, format: 'der', type: 'spki' })
      publicKeys.set(publicKey, key)
    }
    return key
  }
  const privateKeyObject = (seed: Uint8Array): KeyObject => {
    if (seed.length !== 32) throw new TypeError(`ed25519 secret key must be 32 bytes, got ${seed.length}`)
    let key = privateKeys.get(seed)
    if (key === undefined) {
      key = nc.createPrivateKey({ key: der(PKCS8_PREFIX, seed) as Buffer, format: 'der', type: 'pkcs8' })
      privateKeys.set(seed, key)
    }
    return key
  }
  const verifySync = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
    if (publicKey.length !== 32 || signature.length !== 64) return false
    try {
      return nc.verify(null, message, publicKeyObject(publicKey), signature)
    } catch {
      return false // a key that is not a curve point
    }
  }
  const signSync = (seed: Uint8Array, message: Uint8Array): Uint8Array => new Uint8Array(nc.sign(null, message, privateKeyObject(seed)))
  const publicKeyOf = (seed: Uint8Array): Uint8Array => {
    const spki = nc.createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' })
    return new Uint8Array(spki.subarray(spki.length - 32))
  }
  return {
    name: 'node',
    verifySync,
    verify: async (publicKey, message, signature) => verifySync(publicKey, message, signature),
    signSync,
    sign: async (seed, message) => signSync(seed, message),
    publicKeyOf
  }
}
