// The attachment store on disk: import chunks and names a file by its content id; the index
// survives a restart and drops what is half-written or inconsistent; past its byte bound the
// least recently used attachments go, never the one just added; a chunk written from its pieces
// lands whole however short the writes come back.
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { rawCid } from '../../../src/blobs/cid.ts'
import { CHUNK_BYTES } from '../../../src/blobs/constants.ts'
import { BlobStore } from '../../../src/blobs/store.ts'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'swarm-blobstore-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

async function file (name: string, bytes: Uint8Array): Promise<string> {
  const p = join(dir, name)
  await writeFile(p, bytes)
  return p
}

const store = (storeBytes = 1e9, maxBytes = 64 * 1024 * 1024): BlobStore => new BlobStore({ dir: join(dir, 'blobs'), storeBytes, maxBytes })

describe('BlobStore', () => {
  it('imports, reads back chunk by chunk, and reopens with the same index', async () => {
    const bytes = randomBytes(2 * CHUNK_BYTES + 100)
    const s = store()
    await s.open()
    const b = await s.importFile(await file('x', bytes))
    expect(b.chunks).toHaveLength(3)
    expect(b.chunks[2]).toBe(rawCid(bytes.subarray(2 * CHUNK_BYTES)))
    expect(Buffer.from(await s.readChunk(b.cid, 1))).toEqual(bytes.subarray(CHUNK_BYTES, 2 * CHUNK_BYTES))
    expect(await readFile(s.dataPath(b.cid))).toEqual(bytes)
    // the same content again is the same id, stored once
    expect((await s.importFile(await file('y', bytes))).cid).toBe(b.cid)
    expect(s.stats()).toMatchObject({ held: 1, bytes: bytes.length })
    const again = store()
    await again.open()
    expect(again.get(b.cid)?.chunks).toEqual(b.chunks)
  })

  it('refuses a file over the cap (too-large) and a missing one (bad-file)', async () => {
    const s = store(1e9, 1000)
    await s.open()
    await expect(s.importFile(await file('big', randomBytes(1001)))).rejects.toMatchObject({ code: 'too-large' })
    await expect(s.importFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'bad-file' })
    await expect(s.importFile(dir)).rejects.toMatchObject({ code: 'bad-file' })
    expect(s.stats().held).toBe(0)
  })

  it('evicts the least recently used past its bound, never the newest', async () => {
    const s = store(3 * 1000)
    await s.open()
    const a = await s.importFile(await file('a', randomBytes(1000)))
    const b = await s.importFile(await file('b', randomBytes(1000)))
    await new Promise((resolve) => setTimeout(resolve, 5))
    s.get(a.cid) // a used after b
    const c = await s.importFile(await file('c', randomBytes(1000)))
    expect(s.stats().held).toBe(3)
    const d = await s.importFile(await file('d', randomBytes(1500)))
    expect(s.has(d.cid)).toBe(true)
    expect(s.has(b.cid)).toBe(false) // least recently used
    expect(s.has(a.cid)).toBe(false)
    expect(s.has(c.cid)).toBe(true)
    expect(s.stats()).toMatchObject({ bytes: 2500, evicted: 2 })
  })

  it('keeps the operator\'s own before what others\' envelopes brought; serving is not a use; the mark survives a restart', async () => {
    const s = store(3000)
    await s.open()
    // what another node's envelope made this node fetch (verified elsewhere; stored as `other`)
    const other = async (n: number): Promise<string> => {
      const bytes = randomBytes(n)
      const cid = rawCid(bytes)
      const w = await s.partialWriter()
      await w.append(bytes)
      await w.commit(cid, { size: n, chunkBytes: CHUNK_BYTES, chunks: [cid] })
      return cid
    }
    const tick = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 3)) }
    const mine = await s.importFile(await file('mine', randomBytes(1000)))
    expect(mine.own).toBe(true)
    await tick()
    const o1 = await other(1000); await tick()
    const o2 = await other(1000); await tick()
    // a stranger asking for o1 again and again (what the holder side does: peek) does not keep it
    for (let i = 0; i < 5; i++) expect(s.peek(o1)?.cid).toBe(o1)
    const o3 = await other(1000)
    expect([s.has(mine.cid), s.has(o1), s.has(o2), s.has(o3)]).toEqual([true, false, true, true])
    // another's that fits only without the operator's file is not kept (and pushes out nothing): the file stays
    await expect(other(2500)).rejects.toMatchObject({ code: 'busy' })
    expect([s.has(mine.cid), s.has(o2), s.has(o3)]).toEqual([true, true, true])
    expect(s.stats().bytes).toBeLessThanOrEqual(3000)
    // the operator's own coming in pushes out others' first
    const o4 = await other(1000)
    const mine2 = await s.importFile(await file('mine2', randomBytes(1500)))
    expect([s.has(mine.cid), s.has(mine2.cid), s.has(o4)]).toEqual([true, true, false])
    // an attachment held as another's becomes the operator's own when it asks for it
    const o5 = await other(400)
    await s.keep(s.get(o5)!)
    const again = store(3000)
    await again.open()
    expect(Object.fromEntries(again.list().map((b) => [b.cid, b.own]))).toEqual({ [mine.cid]: true, [mine2.cid]: true, [o5]: true })
  })

  it('two fetches of one id finishing together store it once and count it once', async () => {
    const s = store()
    await s.open()
    const bytes = randomBytes(3000)
    const cid = rawCid(bytes)
    const writers = await Promise.all([s.partialWriter(), s.partialWriter(), s.partialWriter()])
    await Promise.all(writers.map(async (w) => { await w.append(bytes) }))
    const m = { size: bytes.length, chunkBytes: CHUNK_BYTES, chunks: [cid] }
    const held = await Promise.all([writers[0].commit(cid, m), writers[1].commit(cid, m, undefined, 'own'), writers[2].commit(cid, m)])
    expect(new Set(held.map((b) => b.cid))).toEqual(new Set([cid]))
    expect(s.stats()).toMatchObject({ held: 1, bytes: bytes.length })
    expect(s.peek(cid)?.own).toBe(true)
    expect(await readFile(s.dataPath(cid))).toEqual(bytes)
  })

  it('at open, drops entries that are not content ids or are inconsistent, and any partial transfer', async () => {
    const s = store()
    await s.open()
    const b = await s.importFile(await file('m', randomBytes(3 * CHUNK_BYTES)))
    await mkdir(join(dir, 'blobs', 'not-a-cid'))
    await writeFile(join(dir, 'blobs', b.cid, 'data'), 'truncated')
    await mkdir(join(dir, 'blobs', '.partial', 'x'), { recursive: true })
    const again = store()
    await again.open()
    expect(again.stats().held).toBe(0)
  })

  it('appends a chunk from its pieces (empty ones too) whole, however short each write comes back', async () => {
    const s = store()
    await s.open()
    const bytes = randomBytes(CHUNK_BYTES)
    const pieces = [bytes.subarray(0, 5), new Uint8Array(0), bytes.subarray(5, 1000), bytes.subarray(1000)]
    const w = await s.partialWriter()
    // the file system writes at most 7 bytes a call, cutting inside pieces
    const fh = await open(join(dir, 'probe'), 'w')
    const proto = Object.getPrototypeOf(fh)
    await fh.close()
    const writev = proto.writev
    let calls = 0
    proto.writev = async function (this: unknown, buffers: Uint8Array[], position: number) {
      calls++
      const first = buffers.find((b) => b.byteLength > 0) ?? new Uint8Array(0)
      const at = buffers.slice(0, buffers.indexOf(first)).reduce((n, b) => n + b.byteLength, 0)
      return await writev.call(this, [first.subarray(0, 7)], position + at)
    }
    try {
      await w.append(pieces.slice(0, 3))
      await w.append(pieces.slice(3))
    } finally {
      proto.writev = writev
    }
    expect(calls).toBeGreaterThan(100)
    const held = await w.commit(rawCid(bytes), { size: bytes.length, chunkBytes: CHUNK_BYTES, chunks: [rawCid(bytes)] })
    expect(await readFile(s.dataPath(held.cid))).toEqual(bytes)
  })
})
