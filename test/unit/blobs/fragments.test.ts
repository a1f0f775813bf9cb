// A hostile holder (its own node, speaking /swarm/blob/1.0.0 directly) sends a genuine chunk in
// tiny muxer frames: the chunk still verifies, but the fetcher never keeps or hands on more than
// MAX_PIECES pieces of one chunk (the page would otherwise hold every 64-byte piece separately);
// an honest holder's chunk arrives in its few Noise-frame pieces, unjoined.

import { randomBytes } from 'node:crypto'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawCid, sha256 } from '../../../src/blobs/cid.ts'
import { CHUNK_BYTES, PROTOCOL_BLOB } from '../../../src/blobs/constants.ts'
import { MAX_PIECES } from '../../../src/blobs/protocol.ts'
import { pullVerified } from '../../../src/blobs/pull.ts'
import { noiseCipher } from '../../../src/net/noise-cipher.ts'

const chunk = randomBytes(CHUNK_BYTES)
const cid = rawCid(chunk)
let hostile: Libp2p, honest: Libp2p, fetcher: Libp2p

const node = async (): Promise<Libp2p> => await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise({ crypto: noiseCipher() })],
  streamMuxers: [yamux()]
})

/** Serves `chunk` for any request: the header, then the chunk's length prefix and its bytes in sends of `piece` bytes. */
async function serve (n: Libp2p, piece: number): Promise<void> {
  await n.handle(PROTOCOL_BLOB, async (stream: Stream) => {
    const lp = lpStream(stream)
    await lp.read()
    await lp.write(new TextEncoder().encode(JSON.stringify({ status: 'ok', size: chunk.length, chunks: 1 })))
    const raw = lp.unwrap()
    raw.send(Uint8Array.from([0x80, 0x80, 0x10])) // varint 262144
    for (let at = 0; at < chunk.length; at += piece) {
      if (!raw.send(chunk.subarray(at, at + piece))) await new Promise((resolve) => raw.addEventListener('drain', resolve, { once: true }))
    }
    await raw.close()
  })
}

beforeAll(async () => {
  [hostile, honest, fetcher] = await Promise.all([node(), node(), node()])
  await serve(hostile, 64)
  await serve(honest, CHUNK_BYTES)
})
afterAll(async () => { await Promise.all([hostile, honest, fetcher].map(async (n) => { await n.stop() })) })

const pull = async (holder: Libp2p): Promise<Array<readonly Uint8Array[]>> => {
  const appended: Array<readonly Uint8Array[]> = []
  await fetcher.dial(holder.getMultiaddrs()[0])
  await pullVerified(cid, { libp2p: fetcher, hash: sha256, maxBytes: 1 << 26, holders: [holder.peerId], signal: AbortSignal.timeout(20_000), append: async (p) => { appended.push(p) } })
  return appended
}

describe('a chunk sent in tiny frames', () => {
  it('verifies, and reaches the store joined rather than as thousands of pieces', async () => {
    const [pieces] = await pull(hostile)
    expect(pieces.length).toBeLessThanOrEqual(MAX_PIECES)
    expect(Buffer.concat(pieces)).toEqual(chunk)
  })

  it('from an honest holder, arrives in a few pieces, unjoined', async () => {
    const [pieces] = await pull(honest)
    expect(pieces.length).toBeGreaterThan(1)
    expect(pieces.length).toBeLessThanOrEqual(MAX_PIECES)
    expect(Buffer.concat(pieces)).toEqual(chunk)
  })
})
