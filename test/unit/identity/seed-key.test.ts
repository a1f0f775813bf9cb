// identityFromSeed builds libp2p's key from node:crypto's public key instead of re-deriving it
// in JS (start time, see src/identity/index.ts): it must be the very key libp2p would derive.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { identityFromSeed } from '../../../src/identity/index.ts'

describe('identityFromSeed', () => {
  it('gives the private key, public key and peer id libp2p derives from the same seed', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (seed) => {
      const id = await identityFromSeed(seed, 'fed:default')
      const ref = await generateKeyPairFromSeed('Ed25519', seed)
      expect(id.privateKey.raw).toEqual(ref.raw)
      expect(id.privateKey.publicKey.raw).toEqual(ref.publicKey.raw)
      expect(id.peerId.toString()).toBe(peerIdFromPrivateKey(ref).toString())
      // libp2p's signature (noise handshakes) verifies under the node's public key
      const msg = new TextEncoder().encode('handshake')
      expect(await ref.publicKey.verify(msg, await id.privateKey.sign(msg))).toBe(true)
    }), { numRuns: 25 })
  })
})
