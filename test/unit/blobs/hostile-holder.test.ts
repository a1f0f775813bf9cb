// Holders that lie. A fetch asks whoever may hold an attachment, strangers included; what one
// holder says is its own word until the bytes hash to the id. A header claiming a size over the
// cap ends that holder's turn, not the fetch (before, one forged frame from any connected peer
// ended a fetch honest holders could serve); a manifest that hashes to the id and is over the
// cap still ends it. And readers that ask slowly: a holder serves one transfer for a bounded
// time (SERVE_BASE_MS and the size at SERVE_MIN_BYTES_PER_SEC), so a reader asking for one
// chunk per frame timeout cannot hold a stream slot for hours. Real libp2p nodes over TCP; the
// honest holders serve from a real store.

import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import type { PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../../../src/blobs/cid.ts'
import { CHUNK_BYTES, PROTOCOL_BLOB } from '../../../src/blobs/constants.ts'
import type { BlobError } from '../../../src/blobs/errors.ts'
import { serveBlobs } from '../../../src/blobs/protocol.ts'
import { pullVerified } from '../../../src/blobs/pull.ts'
import { BlobFetcher } from '../../../src/blobs/fetch.ts'
import { BlobStore, type HeldBlob } from '../../../src/blobs/store.ts'

const encoder = new TextEncoder()
const nodes: Libp2p[] = []
let dir: string
let fetcher: Libp2p, honest: Libp2p, hurried: Libp2p
let blob: HeldBlob
let bytes: Buffer

const node = async (): Promise<Libp2p> => {
  const n = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
  nodes.push(n)
  return n
}

/** A holder with keys of its own that answers every request with `frames` (then closes). */
async function liar (frames: unknown[]): Promise<{ node: Libp2p, streams: () => number }> {
  const n = await node()
  let streams = 0
  await n.handle(PROTOCOL_BLOB, async (stream: Stream) => {
    streams++
    const lp = lpStream(stream)
    await lp.read()
    for (const f of frames) await lp.write(f instanceof Uint8Array ? f : encoder.encode(JSON.stringify(f)))
    await stream.close().catch(() => {})
  })
  await fetcher.dial(n.getMultiaddrs()[0])
  return { node: n, streams: () => streams }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarm-hostile-holder-'))
  const store = new BlobStore({ dir: join(dir, 'blobs'), storeBytes: 1e9, maxBytes: 1 << 26 })
  await store.open()
  bytes = randomBytes(3 * CHUNK_BYTES + 11)
  await writeFile(join(dir, 'f'), bytes)
  blob = await store.importFile(join(dir, 'f'))
  ;[fetcher, honest, hurried] = await Promise.all([node(), node(), node()])
  await serveBlobs(honest, store)
  // a holder that serves one transfer for 1.5 s at most
  await serveBlobs(hurried, store, { deadlineMs: () => 1500 })
  await fetcher.dial(honest.getMultiaddrs()[0])
  await fetcher.dial(hurried.getMultiaddrs()[0])
})
afterAll(async () => {
  await Promise.all(nodes.map(async (n) => { await n.stop() }))
  await rm(dir, { recursive: true, force: true })
})

async function pull (holders: PeerId[], maxBytes = 1 << 26): Promise<{ got: Buffer, failed: Array<[string, string]> }> {
  const got: Uint8Array[] = []
  const failed: Array<[string, string]> = []
  await pullVerified(blob.cid, { libp2p: fetcher, hash: sha256, maxBytes, holders, signal: AbortSignal.timeout(30_000), append: async (p) => { got.push(...p) }, onFail: (peer, err: BlobError) => { failed.push([peer.toString(), err.code]) } })
  return { got: Buffer.concat(got), failed }
}

describe('a holder that lies', () => {
  it('claiming a size over the cap in its header loses its turn; the honest holder after it serves', async () => {
    const hostile = await liar([{ status: 'ok', size: 2 ** 40, chunks: 1 }])
    const { got, failed } = await pull([hostile.node.peerId, honest.peerId], 1 << 20)
    expect(got.equals(bytes)).toBe(true)
    expect(failed.map(([p]) => p)).toEqual([hostile.node.peerId.toString()])
    expect(hostile.streams()).toBe(1)
  })

  it('refusing with words of its own (a terminal escape) has them left out of the error', async () => {
    const hostile = await liar([{ status: 'refused', reason: '\u001b]52;c;aGk=\u0007\u001b[2J' }])
    const err = await pull([hostile.node.peerId]).then(() => undefined, (e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err?.message).toMatch(/holder refused/)
    expect(err?.message).not.toMatch(/[\u0000-\u001f]/)
    const coded = await liar([{ status: 'refused', reason: 'not-member' }])
    const why: string[] = []
    await pullVerified(blob.cid, { libp2p: fetcher, hash: sha256, maxBytes: 1 << 26, holders: [coded.node.peerId], signal: AbortSignal.timeout(10_000), append: async () => {}, onFail: (_p, e) => { why.push(e.message) } }).catch(() => {})
    expect(why).toEqual(['holder refused: not-member'])
  })

  it('a manifest that hashes to the id and is over the cap still ends the fetch (too-large)', async () => {
    await expect(pull([honest.peerId], CHUNK_BYTES)).rejects.toMatchObject({ code: 'too-large' })
  })
})

/** A holder with a real copy that sends one valid chunk every `delayMs`; counts the chunks it sent. */
async function slowHolder (delayMs: number): Promise<{ node: Libp2p, sent: () => number }> {
  const n = await node()
  let sent = 0
  await n.handle(PROTOCOL_BLOB, async (stream: Stream) => {
    const lp = lpStream(stream, { maxDataLength: 4096 })
    try {
      const first = JSON.parse(new TextDecoder().decode((await lp.read()).subarray()))
      await lp.write(encoder.encode(JSON.stringify({ status: 'ok', size: blob.size, chunks: blob.chunks.length })))
      if (first.want === 'manifest') await lp.write(blob.manifestBytes!)
      const req = first.want === 'manifest' ? JSON.parse(new TextDecoder().decode((await lp.read()).subarray())) : first
      for (let i = req.from; i < blob.chunks.length; i++) {
        // a valid chunk, just often enough that no frame ever times out
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        await lp.write(bytes.subarray(i * CHUNK_BYTES, Math.min(bytes.length, (i + 1) * CHUNK_BYTES)))
        sent++
      }
    } catch {}
    await stream.close().catch(() => {})
  })
  await fetcher.dial(n.getMultiaddrs()[0])
  return { node: n, sent: () => sent }
}

describe('a holder that is slow on purpose', () => {
  it('sending valid chunks one a second yields its turn at its pace; the honest holder after it serves the rest', async () => {
    const hostile = await slowHolder(1000)
    const got: Uint8Array[] = []
    const t0 = Date.now()
    await pullVerified(blob.cid, { libp2p: fetcher, hash: sha256, maxBytes: 1 << 26, holders: [hostile.node.peerId, honest.peerId], progressMs: 1500, signal: AbortSignal.timeout(30_000), append: async (p) => { got.push(...p) } })
    expect(Buffer.concat(got).equals(bytes)).toBe(true)
    expect(hostile.sent()).toBeLessThan(blob.chunks.length)
    expect(Date.now() - t0).toBeLessThan(blob.chunks.length * 1000)
  })

  it('the only real holder, slow, is never dropped for a peer that only ever answers busy', async () => {
    const sender = await slowHolder(250)
    const busy = await liar([{ status: 'refused', reason: 'rate-limited', retryAfterMs: 1 }])
    const got: Uint8Array[] = []
    await pullVerified(blob.cid, { libp2p: fetcher, hash: sha256, maxBytes: 1 << 26, holders: [sender.node.peerId, busy.node.peerId], progressMs: 300, signal: AbortSignal.timeout(30_000), append: async (p) => { got.push(...p) } })
    expect(Buffer.concat(got).equals(bytes)).toBe(true)
  })
})

describe('a stranger naming an honest attachment with a lie', () => {
  it('a wrong declared size fails its own fetch only: the honest envelope\'s fetch of the same id, and the holders it names, still land', async () => {
    const sdir = await mkdtemp(join(tmpdir(), 'swarm-hostile-fetch-'))
    try {
      const store = new BlobStore({ dir: join(sdir, 'blobs'), storeBytes: 1e9, maxBytes: 1 << 26 })
      await store.open()
      const f = new BlobFetcher({ libp2p: fetcher, store })
      // the stranger's envelope came first (size 1, holders: itself, which lacks it); the honest
      // one right after (the true size, holders: the honest holder)
      const nobody = await liar([{ status: 'not-found' }])
      const lie = f.fetch(blob.cid, { holders: [nobody.node.peerId], size: 1, lane: 'stranger' })
      const truth = f.fetch(blob.cid, { holders: [honest.peerId], size: blob.size, lane: 'honest' })
      await expect(lie).rejects.toMatchObject({ code: expect.stringMatching(/bad-manifest|not-found/) })
      expect((await truth).cid).toBe(blob.cid)
      // a caller of the same size joining a running fetch adds its holders to the line
      const other = new BlobStore({ dir: join(sdir, 'other'), storeBytes: 1e9, maxBytes: 1 << 26 })
      await other.open()
      const g = new BlobFetcher({ libp2p: fetcher, store: other })
      const first = g.fetch(blob.cid, { holders: [nobody.node.peerId], size: blob.size, lane: 'stranger' })
      const joined = g.fetch(blob.cid, { holders: [honest.peerId], size: blob.size, lane: 'honest' })
      expect((await first).cid).toBe(blob.cid)
      expect((await joined).cid).toBe(blob.cid)
    } finally {
      await rm(sdir, { recursive: true, force: true })
    }
  })
})

describe('a reader that asks slowly', () => {
  it('is cut off at the transfer\'s deadline; an honest pull from the same holder meanwhile completes', async () => {
    const stream = await fetcher.dialProtocol(hurried.peerId, PROTOCOL_BLOB)
    const lp = lpStream(stream, { maxDataLength: CHUNK_BYTES + 64 })
    const ask = async (from: number): Promise<void> => { await lp.write(encoder.encode(JSON.stringify({ cid: blob.cid, from, count: 1 }))) }
    const t0 = Date.now()
    let chunks = 0
    let ended: string | undefined
    await ask(0)
    await lp.read() // the header
    const honestPull = (async () => {
      const got: Uint8Array[] = []
      await pullVerified(blob.cid, { libp2p: fetcher, hash: sha256, maxBytes: 1 << 26, holders: [hurried.peerId], signal: AbortSignal.timeout(20_000), append: async (p) => { got.push(...p) } })
      return Buffer.concat(got)
    })()
    try {
      for (;;) {
        await lp.read()
        chunks++
        // one chunk, then a pause just short of any frame timeout would do; here 700 ms
        await new Promise((resolve) => setTimeout(resolve, 700))
        await ask(chunks)
      }
    } catch (err: any) {
      ended = err?.name ?? 'error'
    }
    expect(ended).toBeDefined()
    expect(chunks).toBeLessThan(blob.chunks.length) // cut off before it had it all
    expect(Date.now() - t0).toBeLessThan(5000)
    expect((await honestPull).equals(bytes)).toBe(true)
  })
})
