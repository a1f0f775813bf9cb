// The daemon's Noise cipher (one KeyObject per session key) seals and opens exactly the frames
// noise's stock crypto does, both ways, for any size, key, nonce and associated data; it refuses a
// frame with any flipped bit; a key rewritten in place is never used with its old KeyObject; and a
// daemon-style node with it talks to a node with the stock crypto over a real TCP connection.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { defaultCrypto } from '@libp2p/noise/crypto'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { ping } from '@libp2p/ping'
import { createLibp2p } from 'libp2p'
import { lpStream } from '@libp2p/utils'
import { noiseCipher } from '../../../src/net/noise-cipher.ts'

const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n))
// what comes back may be a Buffer or noise's Uint8ArrayList: only the bytes count
type Bytes = Uint8Array | { subarray: () => Uint8Array }
const whole = (b: Bytes): Uint8Array => b instanceof Uint8Array ? b : b.subarray()
// only the bytes count, whatever the implementation returned (a Buffer, a list); compared natively
// because a deep equality over 64 KiB frames is slow
const same = (a: Bytes, b: Bytes): boolean => Buffer.from(whole(a)).equals(whole(b))
/** The parts of a Uint8ArrayList the cipher uses (the real one is a dependency of noise's own). */
function listOf (...bufs: Uint8Array[]): Uint8Array {
  const whole = (): Uint8Array => new Uint8Array(Buffer.concat(bufs))
  const list = {
    byteLength: bufs.reduce((n, b) => n + b.byteLength, 0),
    [Symbol.iterator]: () => bufs[Symbol.iterator](),
    subarray: (start?: number, end?: number) => whole().subarray(start, end),
    sublist: (start?: number, end?: number) => listOf(whole().subarray(start, end))
  }
  return list as unknown as Uint8Array
}

const frame = fc.record({
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  nonce: fc.uint8Array({ minLength: 12, maxLength: 12 }),
  ad: fc.uint8Array({ maxLength: 64 }),
  text: fc.oneof(fc.uint8Array({ maxLength: 2_000 }), fc.integer({ min: 0, max: 65_519 }).map(bytes))
})

describe('noise cipher', () => {
  it('seals and opens the same frames as the stock crypto, both ways', () => {
    const ours = noiseCipher()
    fc.assert(fc.property(frame, ({ key, nonce, ad, text }) => {
      const sealed = whole(ours.chaCha20Poly1305Encrypt(text, nonce, ad, key))
      expect(same(sealed, defaultCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, key))).toBe(true)
      expect(same(ours.chaCha20Poly1305Decrypt(sealed, nonce, ad, key), text)).toBe(true)
      expect(same(defaultCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, key), text)).toBe(true)
      // a frame that arrived in pieces opens the same
      // (noise passes a Uint8ArrayList; the cipher iterates it, and takes sublist/subarray of it)
      const cut = sealed.byteLength >> 1
      expect(same(ours.chaCha20Poly1305Decrypt(listOf(sealed.subarray(0, cut), sealed.subarray(cut)), nonce, ad, key), text)).toBe(true)
      const half = text.byteLength >> 1
      const fromPieces = ours.chaCha20Poly1305Encrypt(listOf(text.subarray(0, half), new Uint8Array(0), text.subarray(half)), nonce, ad, key)
      expect(same(fromPieces, sealed)).toBe(true)
      // @libp2p/tcp writes each piece of a sealed frame with its own call: none may be empty
      if (!(fromPieces instanceof Uint8Array)) for (const piece of fromPieces) expect(piece.byteLength).toBeGreaterThan(0)
    }), { numRuns: 200 })
  })

  it('refuses a frame with any flipped bit, a wrong key, wrong associated data or a short frame', () => {
    const ours = noiseCipher()
    fc.assert(fc.property(frame, fc.nat(), fc.integer({ min: 0, max: 7 }), ({ key, nonce, ad, text }, at, bit) => {
      const sealed = new Uint8Array(whole(ours.chaCha20Poly1305Encrypt(text, nonce, ad, key)))
      const tampered = sealed.slice()
      tampered[at % tampered.byteLength] ^= 1 << bit
      expect(() => ours.chaCha20Poly1305Decrypt(tampered, nonce, ad, key)).toThrow()
      const otherKey = key.slice(); otherKey[0] ^= 1
      expect(() => ours.chaCha20Poly1305Decrypt(sealed, nonce, ad, otherKey)).toThrow()
      expect(() => ours.chaCha20Poly1305Decrypt(sealed, nonce, new Uint8Array([...ad, 1]), key)).toThrow()
    }), { numRuns: 200 })
    expect(() => ours.chaCha20Poly1305Decrypt(bytes(15), bytes(12), new Uint8Array(0), bytes(32))).toThrow()
  })

  it('never uses an old KeyObject for a key rewritten in place, opening or sealing', () => {
    const ours = noiseCipher()
    // over 1200 bytes: the size that takes the KeyObject path
    const key = bytes(32); const nonce = bytes(12); const ad = new Uint8Array(0); const text = bytes(2000)
    const first = whole(defaultCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, key))
    expect(same(ours.chaCha20Poly1305Decrypt(first, nonce, ad, key), text)).toBe(true)
    // the same key array, new bytes: opening must use the new key (the old one would fail the tag)
    key.set(bytes(32))
    const second = whole(defaultCrypto.chaCha20Poly1305Encrypt(text, nonce, ad, key))
    expect(same(ours.chaCha20Poly1305Decrypt(second, nonce, ad, key), text)).toBe(true)
    expect(() => ours.chaCha20Poly1305Decrypt(first, nonce, ad, key)).toThrow()
    // and sealing: what ours seals after the rewrite is what the stock crypto seals with the new key
    expect(same(ours.chaCha20Poly1305Encrypt(text, nonce, ad, key), second)).toBe(true)
  })

  it('a node with it and a node with the stock crypto talk over TCP: pings, and a MiB each way in frames of every size', async () => {
    const make = async (crypto?: ReturnType<typeof noiseCipher>) => await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise(crypto === undefined ? {} : { crypto })],
      streamMuxers: [yamux()],
      services: { ping: ping() }
    })
    const ours = await make(noiseCipher())
    const stock = await make()
    try {
      for (const node of [ours, stock]) {
        // echoes every length-prefixed frame back
        await node.handle('/test/echo/1.0.0', async (stream) => {
          const lp = lpStream(stream, { maxDataLength: 2 * 1024 * 1024 })
          for (;;) {
            const frame = await lp.read().catch(() => undefined)
            if (frame === undefined || frame.byteLength === 0) break
            await lp.write(frame.subarray())
          }
          await stream.close()
        })
      }
      for (const [from, to] of [[ours, stock], [stock, ours]] as const) {
        const rtt = await from.services.ping.ping(to.getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000) })
        expect(rtt).toBeGreaterThanOrEqual(0)
        const stream = await from.dialProtocol(to.getMultiaddrs()[0], '/test/echo/1.0.0', { signal: AbortSignal.timeout(10_000) })
        const lp = lpStream(stream, { maxDataLength: 2 * 1024 * 1024 })
        // small frames (stock cipher), mid-size, and one that noise splits into 64 KiB frames
        for (const size of [1, 500, 1199, 1200, 5000, 65_519, 1024 * 1024]) {
          const sent = bytes(size)
          await lp.write(sent)
          expect(same(await lp.read(), sent)).toBe(true)
        }
        await lp.write(new Uint8Array(0))
        await stream.close()
      }
    } finally {
      await Promise.all([ours.stop(), stock.stop()])
    }
  })
})
