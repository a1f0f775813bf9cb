// Attachments across three real daemons: 0 B, 1 B and 10 MiB files named in a signed question,
// fetched by the other members beside the gossip and identical byte for byte; the size cap on
// both sides; a hostile holder (its own keys, speaking /swarm/blob/1.0.0 directly) serving
// corrupted chunks, refused with bad-hash while the honest holder completes the fetch; and a
// holder that goes away mid-transfer, the fetch resuming at the same chunk from another.

import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { createLibp2p, type Libp2p } from 'libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chunkRange, rawCid, rootOf } from '../../src/blobs/cid.ts'
import { CHUNK_BYTES, PROTOCOL_BLOB } from '../../src/blobs/constants.ts'
import { cleanupHomes, eventually, startDaemons, stopAll, tempHome, type TestDaemon } from '../helpers/daemons.ts'

const MiB = 1024 * 1024
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

let A: TestDaemon, B: TestDaemon, C: TestDaemon
let dir: string
const files: Record<string, Buffer> = {}

beforeAll(async () => {
  dir = await tempHome('swarm-blobs-')
  files.empty = Buffer.alloc(0)
  files.one = Buffer.from([0x2a])
  files.ten = randomBytes(10 * MiB)
  files.twelve = randomBytes(12 * MiB)
  files.three = randomBytes(3 * MiB + 17)
  files.resume = randomBytes(4 * MiB + 5)
  files.fresh = randomBytes(2 * MiB + 3)
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, `${name}.bin`), bytes)
  await writeFile(join(dir, 'notes.txt'), 'plain text\n')
  // C takes attachments up to 11 MiB: 10 MiB fits, 12 MiB does not
  ;[A, B, C] = await startDaemons([{}, { config: { tasks: { accept: ['python-computation'], advertIntervalSec: 2 } } }, { config: { blobs: { maxBytes: 11 * MiB } } }], 'full')
  await eventually(async () => (await A.json(['peers'])).length >= 2, { what: 'A sees B and C' })
  // open federation: B takes python only from tasks.allowFrom (A), re-read without a restart
  await B.json(['config', 'set', 'tasks.allowFrom', JSON.stringify([A.nodeId])])
  await eventually(async () => (await readFile(join(B.home, 'daemon.log'), 'utf8')).includes('task settings reloaded'), { what: 'B reloads tasks.allowFrom', timeoutMs: 20_000 })
}, 120_000)

afterAll(async () => {
  await stopAll([A, B, C].filter((d) => d !== undefined))
  await cleanupHomes()
})

const held = async (d: TestDaemon): Promise<string[]> => (await d.json(['blob', 'ls'])).map((b: any) => b.cid)

async function getBytes (d: TestDaemon, cid: string, extra: string[] = []): Promise<Buffer> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`)
  const r = await d.cli(['blob', 'get', cid, '-o', out, '--json', ...extra], { timeoutMs: 120_000 })
  if (r.code !== 0) throw new Error(`blob get exited ${r.code}: ${r.stdout} ${r.stderr}`)
  return await readFile(out)
}

describe('attachments', () => {
  let attached: any[] = []

  it('a question names 0 B, 1 B and 10 MiB attachments; both other members fetch them whole', async () => {
    const res = await A.json(['ask', 'what is in these files?', '--attach', join(dir, 'empty.bin'), '--attach', join(dir, 'one.bin'), '--attach', join(dir, 'ten.bin'), '--attach', join(dir, 'notes.txt')], { timeoutMs: 120_000 })
    attached = res.envelope.attachments
    expect(attached.map((a: any) => a.size)).toEqual([0, 1, 10 * MiB, 11])
    expect(attached[3]).toMatchObject({ name: 'notes.txt', 'media-type': 'text/plain' })
    expect(attached[0]['media-type']).toBe('application/octet-stream')
    // ids are content ids: the small ones are raw sha2-256 CIDs of the bytes themselves
    expect(attached[1].cid).toBe(rawCid(files.one))
    expect(attached[2].cid).toBe(rootOf(10 * MiB, chunksOf(files.ten)).cid)
    // the gossip carried the envelope only: it is small
    expect(JSON.stringify(res.envelope).length).toBeLessThan(4096)
    for (const d of [B, C]) {
      await eventually(async () => { const h = await held(d); return attached.every((a: any) => h.includes(a.cid)) }, { what: 'attachments fetched', timeoutMs: 90_000 })
    }
    for (const d of [B, C]) {
      expect(sha(await getBytes(d, attached[0].cid))).toBe(sha(files.empty))
      expect(sha(await getBytes(d, attached[1].cid))).toBe(sha(files.one))
      expect(sha(await getBytes(d, attached[2].cid))).toBe(sha(files.ten))
    }
    // stdout form
    const r = await C.cli(['blob', 'get', attached[3].cid])
    expect(r.stdout).toBe('plain text\n')
  })

  it('show lists the attachments', async () => {
    const q = await B.json(['questions'])
    const id = (Array.isArray(q) ? q : q.questions).map((x: any) => x.id).find((x: string) => x !== undefined)
    const r = await B.cli(['show', id])
    expect(r.code).toBe(0)
    for (const a of attached) expect(r.stdout).toContain(`attachment ${a.cid as string} ${String(a.size)} B`)
  })

  it('over the cap: the asker refuses to attach; a member with a smaller cap does not fetch', async () => {
    const own = await C.cli(['ask', 'too big', '--attach', join(dir, 'twelve.bin'), '--json'])
    expect(own.code).toBe(1)
    expect(own.json.error.code).toBe('too-large')
    const res = await A.json(['ask', 'twelve MiB', '--attach', join(dir, 'twelve.bin')], { timeoutMs: 120_000 })
    const cid = res.envelope.attachments[0].cid
    await eventually(async () => (await held(B)).includes(cid), { what: 'B fetched 12 MiB', timeoutMs: 90_000 })
    await eventually(async () => ((await C.json(['stats'])).blobs.skipped['too-large'] ?? 0) >= 1, { what: 'C skipped it' })
    expect(await held(C)).not.toContain(cid)
    const get = await C.cli(['blob', 'get', cid, '--json'])
    expect(get.code).toBe(1)
    expect(get.json.error.code).toBe('too-large')
  })

  it('a hostile holder serving corrupted chunks is refused (bad-hash); the fetch completes from an honest one', async () => {
    const put = await A.json(['blob', 'put', join(dir, 'three.bin')])
    const hostile = await holderNode(files.three, { corrupt: true, pipelined: true })
    try {
      const addr = hostile.getMultiaddrs()[0].toString()
      expect((await C.cli(['connect', addr, '--json'])).code).toBe(0)
      const before = (await C.json(['stats'])).blobs.rejected['bad-hash'] ?? 0
      const bytes = await getBytes(C, put.cid, ['--from', hostile.peerId.toString()])
      expect(sha(bytes)).toBe(sha(files.three))
      expect((await C.json(['stats'])).blobs.rejected['bad-hash']).toBeGreaterThan(before)
      // honest traffic still flows in the same run: a question from A reaches C
      const q = await A.json(['ask', 'still there?'])
      await eventually(async () => { const l = await C.json(['questions']); return JSON.stringify(l).includes(q.id) }, { what: 'question reaches C' })
    } finally {
      await hostile.stop()
    }
  })

  it('a hostile requester (garbage, oversized frames, a reader that stalls) cannot hurt the holder; honest fetches go on', async () => {
    const put = await A.json(['blob', 'put', join(dir, 'ten.bin')])
    const fresh = await A.json(['blob', 'put', join(dir, 'fresh.bin')])
    const hostile = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } })
    await hostile.start()
    try {
      const open = async (): Promise<Stream> => await hostile.dialProtocol(multiaddr(A.tcpAddr), PROTOCOL_BLOB)
      const enc = (o: unknown): Uint8Array => new TextEncoder().encode(typeof o === 'string' ? o : JSON.stringify(o))
      // not JSON; unknown fields; a frame far over the request cap
      for (const bad of ['{{{', { cid: put.cid, from: 0, evil: true }, { cid: put.cid, from: 0, count: 100000 }]) {
        const s = await open()
        await lpStream(s).write(enc(bad))
        await expect(lpStream(s).read({ signal: AbortSignal.timeout(15_000) })).rejects.toThrow()
      }
      // a manifest request followed by chunks that do not start where the manifest left off
      const skips = await open()
      await lpStream(skips).writeV([enc({ cid: put.cid, want: 'manifest' }), enc({ cid: put.cid, from: 3, count: 6 })])
      await expect((async () => { const lp = lpStream(skips, { maxDataLength: 2 * MiB }); for (;;) await lp.read({ signal: AbortSignal.timeout(15_000) }) })()).rejects.toThrow()
      const big = await open()
      await lpStream(big, { maxDataLength: 8 * MiB }).write(new Uint8Array(5 * MiB)).catch(() => {})
      // a reader that asks for the 10 MiB and never reads: held open only until the frame timeout
      const stalls = await Promise.all([1, 2, 3].map(async () => { const s = await open(); await lpStream(s).write(enc({ cid: put.cid, from: 0, count: 6 })); return s }))
      // meanwhile an honest member fetches something else from the same holder
      const bytes = await getBytes(B, fresh.cid, ['--from', A.peerId])
      expect(sha(bytes)).toBe(sha(files.fresh))
      // every bad request was counted by its reason
      await eventually(async () => ((await A.json(['stats'])).blobs.refused['bad-frame'] ?? 0) >= 4, { what: 'bad-frame refusals counted' })
      for (const s of stalls) s.abort(new Error('done'))
      expect((await A.cli(['status', '--json'])).json.running).toBe(true)
    } finally {
      await hostile.stop()
    }
  })

  it('task run --attach: the python task reads verified copies from ./attachments/NAME', async () => {
    const code = "import hashlib\nprint(open('attachments/notes.txt').read().strip(), hashlib.sha256(open('attachments/three.bin','rb').read()).hexdigest())"
    const r = await A.cli(['task', 'run', 'python-computation', '--code', code, '--peer', B.peerId, '--attach', join(dir, 'notes.txt'), '--attach', join(dir, 'three.bin'), '--json'], { timeoutMs: 120_000 })
    expect(r.json?.success, `${r.stdout} ${r.stderr}`).toBe(true)
    expect(r.json.result.stdout.trim()).toBe(`plain text ${sha(files.three)}`)
  })

  it('a holder that goes away mid-transfer: the fetch resumes at the same chunk from another', async () => {
    const put = await B.json(['blob', 'put', join(dir, 'resume.bin')])
    const servedBefore = (await B.json(['stats'])).blobs.servedBytes
    const leaving = await holderNode(files.resume, { stopAfterChunks: 6 })
    try {
      const addr = leaving.getMultiaddrs()[0].toString()
      expect((await C.cli(['connect', addr, '--json'])).code).toBe(0)
      const bytes = await getBytes(C, put.cid, ['--from', leaving.peerId.toString()])
      expect(sha(bytes)).toBe(sha(files.resume))
      // B, the only other holder, sent what the leaving one did not: never the whole file again
      // (chunks in flight when the holder left may come from B too, so not an exact count)
      const served = (await B.json(['stats'])).blobs.servedBytes - servedBefore
      expect(served).toBeGreaterThanOrEqual(files.resume.length - 6 * CHUNK_BYTES)
      expect(served).toBeLessThan(files.resume.length)
    } finally {
      await Promise.resolve(leaving.stop()).catch(() => {})
    }
  })
})

function chunksOf (bytes: Buffer): string[] {
  const out: string[] = []
  const n = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES))
  for (let i = 0; i < n; i++) out.push(rawCid(bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)))
  return out
}

/** A node with its own key speaking /swarm/blob/1.0.0 directly: it serves the real manifest, then
 *  either corrupts every chunk or stops itself after a few good ones; `pipelined` takes the chunks
 *  request on the manifest's stream, as a current holder does (else it ends that stream, as one
 *  written before that did). */
async function holderNode (content: Buffer, mode: { corrupt?: boolean, stopAfterChunks?: number, pipelined?: boolean }): Promise<Libp2p> {
  const chunks = chunksOf(content)
  const root = rootOf(content.length, chunks)
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
  await node.handle(PROTOCOL_BLOB, async (stream: Stream) => {
    const lp = lpStream(stream)
    const req = JSON.parse(new TextDecoder().decode((await lp.read()).subarray()))
    const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o))
    await lp.write(enc({ status: 'ok', size: content.length, chunks: chunks.length }))
    let from = req.from as number
    if (req.want === 'manifest') {
      await lp.write(root.manifestBytes!)
      // an old-style holder ends the stream here; a current one takes the chunks request the
      // reader pipelined behind the manifest's, on the same stream
      if (mode.pipelined !== true) { await stream.close(); return }
      from = JSON.parse(new TextDecoder().decode((await lp.read()).subarray())).from
    }
    for (let i = from; i < chunks.length; i++) {
      if (mode.stopAfterChunks !== undefined && i >= mode.stopAfterChunks) {
        void node.stop()
        return
      }
      const { start, end } = chunkRange({ size: content.length, chunkBytes: CHUNK_BYTES }, i)
      const chunk = Buffer.from(content.subarray(start, end))
      if (mode.corrupt === true) chunk[0] ^= 0xff
      await lp.write(chunk)
    }
    await stream.close()
  })
  await node.start()
  return node
}
