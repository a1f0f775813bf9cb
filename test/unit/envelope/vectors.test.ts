// Known answers: the Orbiplex signing vectors, byte for byte, on every Ed25519 backend.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  base64urlDecode, base64urlEncode, bytesToHex, createSigner, createWebCryptoEd25519, hexToBytes, nobleEd25519, nodeEd25519,
  nodeIdFromPublicKey, signingInput, type Ed25519Backend
} from '../../../src/envelope/index.ts'

const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'orbiplex-signing')
const vectors = JSON.parse(readFileSync(join(DIR, 'vectors.json'), 'utf8'))
const seed = hexToBytes(vectors.signer['secret-key-hex'])
const backends: Ed25519Backend[] = [nodeEd25519()!, nobleEd25519, createWebCryptoEd25519()!]

describe('orbiplex signing vectors', () => {
  it('the secret key is 32 × 0x29 and derives the published node id', () => {
    expect(seed).toEqual(new Uint8Array(32).fill(0x29))
    const signer = createSigner(seed)
    expect(signer.nodeId).toBe(vectors.signer['node-id'])
    expect(nodeIdFromPublicKey(signer.publicKey)).toBe(`node:did:key:${vectors.signer['key/public'] as string}`)
  })

  for (const v of vectors.vectors) {
    describe(v.fixture, () => {
      const fixture = JSON.parse(readFileSync(join(DIR, v.fixture), 'utf8'))
      const input = signingInput(v.domain, fixture, v['unsigned-fields'])

      it('signing input matches byte for byte', () => {
        expect(bytesToHex(input)).toBe(v['signing-input-hex'])
      })

      it('the fixture carries the published signature', () => {
        expect(fixture.signature.value).toBe(v['signature-base64url'])
      })

      for (const b of backends) {
        it(`${b.name}: signs to the published signature and verifies it`, async () => {
          const sig = await b.sign(seed, input)
          expect(base64urlEncode(sig)).toBe(v['signature-base64url'])
          const pub = createSigner(seed).publicKey
          expect(await b.verify(pub, input, base64urlDecode(v['signature-base64url'])!)).toBe(true)
          const tampered = input.slice()
          tampered[tampered.length - 1] ^= 1
          expect(await b.verify(pub, tampered, sig)).toBe(false)
          if (b.verifySync !== undefined) expect(b.verifySync(pub, input, sig)).toBe(true)
        })
      }
    })
  }

  it('leaving a transport field signed changes the input (the handshake vector needs --unsigned)', () => {
    const v = vectors.vectors[0]
    const fixture = JSON.parse(readFileSync(join(DIR, v.fixture), 'utf8'))
    expect(bytesToHex(signingInput(v.domain, fixture))).not.toBe(v['signing-input-hex'])
  })
})
