// A holder reads chunks from disk a group at a time, and reads the next group ahead only within a
// budget (in all, and per peer): however many transfers it serves at once, it never holds more
// groups ahead than the budget; readers that quit mid-transfer give theirs back; every honest pull
// in the same run completes and verifies.

import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawCid, rootOf, sha256 } from '../../../src/blobs/cid.ts'
import { CHUNK_BYTES, PROTOCOL_BLOB } from '../../../src/blobs/constants.ts'
import { ReadAhead, serveBlobs } from '../../../src/blobs/protocol.ts'
import { pullVerified } from '../../../src/blobs/pull.ts'
import { BlobStore, type HeldBlob } from '../../../src/blobs/store.ts'

let dir: string
let holder: Libp2p, reader: Libp2p
let store: BlobStore
let blob: HeldBlob
let bytes: Buffer
const ahead = new ReadAhead(2)

const node = async (): Promise<Libp2p> => await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarm-readahead-'))
  store = new BlobStore({ dir: join(dir, 'blobs'), storeBytes: 1e9, maxBytes: 1 << 26 })
  await store.open()
  bytes = randomBytes(12 * CHUNK_BYTES + 77)
  await writeFile(join(dir, 'f'), bytes)
  blob = await store.importFile(join(dir, 'f'))
  ;[holder, reader] = await Promise.all([node(), node()])
  await serveBlobs(holder, store, {}, ahead)
  await reader.dial(holder.getMultiaddrs()[0])
})
afterAll(async () => {
  await Promise.all([holder.stop(), reader.stop()])
  await rm(dir, { recursive: true, force: true })
})

describe('read-ahead', () => {
  it('gives at most max tokens in all and perPeer to one peer; released ones come back', () => {
    const budget = new ReadAhead(3, 2)
    expect([budget.take('a'), budget.take('a'), budget.take('a')]).toEqual([true, true, false])
    expect([budget.take('b'), budget.take('c')]).toEqual([true, false])
    expect(budget.inUse).toBe(3)
    budget.release('a')
    expect(budget.take('c')).toBe(true)
    expect(budget.take('a')).toBe(false)
    for (const p of ['a', 'b', 'c']) budget.release(p)
    expect(budget.inUse).toBe(0)
    expect([budget.take('a'), budget.take('a')]).toEqual([true, true])
  })

  it('reads a range of chunks in one go, each exactly its chunk', async () => {
    const chunks = await store.readChunks(blob.cid, 10, 3)
    expect(chunks.map((c) => c.length)).toEqual([CHUNK_BYTES, CHUNK_BYTES, 77])
    for (const [k, c] of chunks.entries()) expect(Buffer.from(c)).toEqual(bytes.subarray((10 + k) * CHUNK_BYTES, (11 + k) * CHUNK_BYTES))
    await expect(store.readChunks(blob.cid, 11, 3)).rejects.toThrow(/not held/)
  })

  it('concurrent transfers hold at most the budget ahead; readers that quit mid-transfer give theirs back; every pull verifies', async () => {
    let most = 0
    const watch = setInterval(() => { most = Math.max(most, ahead.inUse) }, 1)
    try {
      // readers that take one chunk and go (a hostile peer's streams, or a fetch aborted)
      const quitters = Array.from({ length: 4 }, async () => {
        const s = await reader.dialProtocol(holder.peerId, PROTOCOL_BLOB)
        const lp = lpStream(s, { maxDataLength: 2 * CHUNK_BYTES })
        await lp.write(new TextEncoder().encode(JSON.stringify({ cid: blob.cid, from: 0, count: 6 })))
        await lp.read()
        await lp.read()
        s.abort(new Error('gone'))
      })
      const pulls = Array.from({ length: 6 }, async () => {
        const parts: Uint8Array[] = []
        await pullVerified(blob.cid, { libp2p: reader, hash: sha256, maxBytes: 1 << 26, holders: [holder.peerId], signal: AbortSignal.timeout(30_000), append: async (p) => { for (const x of p) parts.push(x.slice()) } })
        return Buffer.concat(parts)
      })
      await Promise.all(quitters)
      for (const got of await Promise.all(pulls)) expect(got.equals(bytes)).toBe(true)
      for (let i = 0; i < 100 && ahead.inUse > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(ahead.inUse).toBe(0)
    } finally {
      clearInterval(watch)
    }
    expect(most).toBeGreaterThan(0)
    expect(most).toBeLessThanOrEqual(2)
  })

  it('reads a group of ~1 MiB (4 chunks) at a time, and verifies', async () => {
    const content = randomBytes(9 * CHUNK_BYTES + 3)
    const chunks = Array.from({ length: 10 }, (_, i) => rawCid(content.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)))
    const root = rootOf(content.length, chunks)
    const w = await store.partialWriter()
    await w.append(content)
    await w.commit(root.cid, root.manifest!, root.manifestBytes)
    const counts: number[] = []
    const readChunks = store.readChunks.bind(store)
    store.readChunks = async (cid, from, count, fh) => { counts.push(count); return await readChunks(cid, from, count, fh) }
    try {
      const parts: Uint8Array[] = []
      await pullVerified(root.cid, { libp2p: reader, hash: sha256, maxBytes: 1 << 26, holders: [holder.peerId], signal: AbortSignal.timeout(20_000), append: async (p) => { for (const x of p) parts.push(x.slice()) } })
      expect(Buffer.concat(parts).equals(content)).toBe(true)
    } finally {
      store.readChunks = readChunks
    }
    expect(counts.length).toBeGreaterThan(0)
    expect(Math.max(...counts)).toBe(4)
  })
})
