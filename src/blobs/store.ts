// The attachment store: whole attachments on disk under <home>/blobs/<root cid>/ (`data`, and
// `manifest` for multi-chunk ones), an in-memory index of them, and least-recently-used eviction
// once the store passes its byte bound. Incoming transfers write to <home>/blobs/.partial/ and
// move in with one rename, so a reader never sees half an attachment.
//
// The operator's own attachments (imported, or fetched with `swarm blob get`; an `own` file marks
// them on disk) are kept before any other: what other nodes' envelopes and task requests made this
// node fetch goes first, and never pushes out an own one. Before, a stranger naming enough junk
// attachments flushed the operator's files, which may have been the only copy anywhere. Only a
// local use refreshes an attachment's age (`get`); serving it to a peer does not (`peek`), or a
// stranger asking for its own junk every few minutes kept it and pushed out everything else.

import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { chunkCount, chunkRange, decodeManifest, parseCid, rawCid, rootOf, type Bytes, type Manifest } from './cid.ts'
import { CHUNK_BYTES } from './constants.ts'
import { BlobError } from './errors.ts'

export interface HeldBlob {
  cid: string
  size: number
  chunkBytes: number
  chunks: string[]
  manifestBytes?: Uint8Array
  lastUsed: number
  /** The operator's own: imported, or fetched at its request (never pushed out by another's). */
  own: boolean
}

/** Why an attachment is held: the operator's own, or another node's envelope or task. */
export type BlobOrigin = 'own' | 'other'
const OWN_MARK = 'own'

export interface BlobStoreInit {
  dir: string
  /** Bound of the store; least recently used attachments go past it. */
  storeBytes: number
  /** Largest single attachment. */
  maxBytes: number
}

export class BlobStore {
  private readonly dir: string
  private readonly partial: string
  private readonly held = new Map<string, HeldBlob>()
  /** Commits in progress, by id. */
  private readonly committing = new Map<string, Promise<void>>()
  private total = 0
  private tmpSeq = 0
  readonly storeBytes: number
  readonly maxBytes: number
  evicted = 0

  constructor (init: BlobStoreInit) {
    this.dir = init.dir
    this.partial = join(init.dir, '.partial')
    this.storeBytes = init.storeBytes
    this.maxBytes = init.maxBytes
  }

  /** Loads the index from disk; anything unreadable or half-written is removed. */
  async open (): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await rm(this.partial, { recursive: true, force: true })
    await mkdir(this.partial, { recursive: true })
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('.')) continue
      try {
        const codec = parseCid(name).codec
        const path = join(this.dir, name)
        const st = await stat(join(path, 'data'))
        const own = await stat(join(path, OWN_MARK)).then(() => true, () => false)
        let blob: HeldBlob
        if (codec === 0x55) {
          blob = { cid: name, size: st.size, chunkBytes: CHUNK_BYTES, chunks: [name], lastUsed: st.mtimeMs, own }
        } else {
          const manifestBytes = new Uint8Array(await readFile(join(path, 'manifest')))
          const m = decodeManifest(name, manifestBytes)
          if (m.size !== st.size) throw new Error('size differs from manifest')
          blob = { cid: name, size: m.size, chunkBytes: m.chunkBytes, chunks: m.chunks, manifestBytes, lastUsed: st.atimeMs, own }
        }
        this.held.set(name, blob)
        this.total += blob.size
      } catch {
        await rm(join(this.dir, name), { recursive: true, force: true })
      }
    }
  }

  has (cid: string): boolean { return this.held.has(cid) }

  /** A held attachment for a local use (it counts as used now). */
  get (cid: string): HeldBlob | undefined {
    const b = this.held.get(cid)
    if (b !== undefined) b.lastUsed = Date.now()
    return b
  }

  /** A held attachment, its age untouched (serving it to a peer, checking it is here). */
  peek (cid: string): HeldBlob | undefined {
    return this.held.get(cid)
  }

  /** Marks a held attachment as the operator's own (on disk too). */
  async keep (b: HeldBlob): Promise<void> {
    if (b.own) return
    await writeFile(join(this.dir, b.cid, OWN_MARK), '')
    b.own = true
  }

  list (): HeldBlob[] { return [...this.held.values()] }

  stats (): { held: number, bytes: number, evicted: number } {
    return { held: this.held.size, bytes: this.total, evicted: this.evicted }
  }

  dataPath (cid: string): string { return join(this.dir, cid, 'data') }

  /** Chunk `i` of a held attachment. */
  async readChunk (cid: string, i: number, fh?: FileHandle): Promise<Uint8Array> {
    return (await this.readChunks(cid, i, 1, fh))[0]
  }

  /** Chunks `from`…`from + count - 1` of a held attachment, read from disk in one go. */
  async readChunks (cid: string, from: number, count: number, fh?: FileHandle): Promise<Uint8Array[]> {
    const b = this.held.get(cid)
    if (b === undefined || from < 0 || count < 1 || from + count > b.chunks.length) throw new BlobError('not-found', `${cid} chunks ${from}+${count} not held`)
    const start = chunkRange(b, from).start
    const end = chunkRange(b, from + count - 1).end
    const buf = new Uint8Array(end - start)
    const own = fh === undefined
    const handle = fh ?? await open(this.dataPath(cid), 'r')
    try {
      let at = 0
      while (at < buf.length) {
        const { bytesRead } = await handle.read(buf, at, buf.length - at, start + at)
        if (bytesRead === 0) throw new BlobError('not-found', `${cid} is shorter than its size`)
        at += bytesRead
      }
    } finally {
      if (own) await handle.close()
    }
    return Array.from({ length: count }, (_, k) => {
      const r = chunkRange(b, from + k)
      return buf.subarray(r.start - start, r.end - start)
    })
  }

  async openData (cid: string): Promise<FileHandle> { return await open(this.dataPath(cid), 'r') }

  /** Imports a local file: chunks, hashes and stores it; returns its id. Throws `too-large`, `bad-file`. */
  async importFile (path: string): Promise<HeldBlob> {
    let size: number
    try {
      const st = await stat(path)
      if (!st.isFile()) throw new BlobError('bad-file', `${path} is not a regular file`)
      size = st.size
    } catch (err) {
      if (err instanceof BlobError) throw err
      throw new BlobError('bad-file', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    if (size > this.maxBytes) throw new BlobError('too-large', `${path} is ${size} bytes, over this node's attachment cap of ${this.maxBytes} (config blobs.maxBytes)`, { size, max: this.maxBytes })
    const writer = await this.partialWriter()
    const chunks: string[] = []
    let total = 0
    try {
      const input = createReadStream(path, { highWaterMark: CHUNK_BYTES })
      let pending: Uint8Array = new Uint8Array(0)
      for await (const piece of input) {
        pending = concat(pending, piece as Buffer)
        while (pending.length >= CHUNK_BYTES) {
          const chunk = pending.subarray(0, CHUNK_BYTES)
          chunks.push(rawCid(chunk))
          await writer.append(chunk)
          total += chunk.length
          pending = pending.slice(CHUNK_BYTES)
        }
        if (total + pending.length > this.maxBytes) throw new BlobError('too-large', `${path} grew past the attachment cap of ${this.maxBytes}`)
      }
      if (pending.length > 0 || chunks.length === 0) {
        chunks.push(rawCid(pending))
        await writer.append(pending)
        total += pending.length
      }
    } catch (err) {
      await writer.discard()
      if (err instanceof BlobError) throw err
      throw new BlobError('bad-file', `cannot read ${path}: ${(err as Error).message}`)
    }
    const root = rootOf(total, chunks)
    return await writer.commit(root.cid, { size: total, chunkBytes: CHUNK_BYTES, chunks }, root.manifestBytes, 'own')
  }

  /** A place to write an incoming attachment chunk by chunk; commit() moves it in. */
  async partialWriter (): Promise<PartialWriter> {
    const dir = join(this.partial, `${process.pid}-${++this.tmpSeq}`)
    await mkdir(dir)
    const fh = await open(join(dir, 'data'), 'w')
    let written = 0
    return {
      get written () { return written },
      append: async (bytes) => {
        // pieces go to disk in one writev (a chunk in the pieces it arrived in); a short write
        // continues from where it stopped
        let pieces = bytes instanceof Uint8Array ? [bytes] : [...bytes]
        const total = pieces.reduce((n, p) => n + p.byteLength, 0)
        let at = 0
        while (at < total) {
          const { bytesWritten } = await fh.writev(pieces, written + at)
          at += bytesWritten
          pieces = skip(pieces, bytesWritten)
        }
        written += total
      },
      discard: async () => {
        await fh.close().catch(() => {})
        await rm(dir, { recursive: true, force: true })
      },
      commit: async (cid, m, manifestBytes, origin = 'other') => {
        await fh.close()
        if (written !== m.size) { await rm(dir, { recursive: true, force: true }); throw new BlobError('bad-frame', `wrote ${written} bytes of ${m.size}`) }
        // one commit of an id at a time: two fetches of one id finishing together would both find
        // it missing, one would remove the other's directory, and the size would count twice
        for (let busy = this.committing.get(cid); busy !== undefined; busy = this.committing.get(cid)) await busy.catch(() => {})
        const done = Promise.withResolvers<void>()
        this.committing.set(cid, done.promise)
        try {
          return await this.commitOne(dir, cid, m, manifestBytes, origin)
        } finally {
          this.committing.delete(cid)
          done.resolve()
        }
      }
    }
  }

  /** Moves a written attachment in (commit, one per id at a time). */
  private async commitOne (dir: string, cid: string, m: Manifest, manifestBytes: Uint8Array | undefined, origin: BlobOrigin): Promise<HeldBlob> {
    const existing = this.held.get(cid)
    if (existing !== undefined) {
      await rm(dir, { recursive: true, force: true })
      existing.lastUsed = Date.now()
      if (origin === 'own') await this.keep(existing)
      return existing
    }
    // another's that cannot fit beside the operator's own is not kept, and pushes out nothing
    const ownBytes = [...this.held.values()].reduce((n, b) => n + (b.own ? b.size : 0), 0)
    if (origin !== 'own' && ownBytes + m.size > this.storeBytes) {
      await rm(dir, { recursive: true, force: true })
      throw new BlobError('busy', `${cid} does not fit: the attachment store (${this.storeBytes} bytes, config blobs.storeBytes) is full of this node's own attachments`)
    }
    if (manifestBytes !== undefined) await writeFile(join(dir, 'manifest'), manifestBytes)
    if (origin === 'own') await writeFile(join(dir, OWN_MARK), '')
    await rm(join(this.dir, cid), { recursive: true, force: true })
    await rename(dir, join(this.dir, cid))
    const blob: HeldBlob = { cid, size: m.size, chunkBytes: m.chunkBytes, chunks: m.chunks, manifestBytes, lastUsed: Date.now(), own: origin === 'own' }
    this.held.set(cid, blob)
    this.total += m.size
    await this.evict(blob)
    // own ones committed meanwhile (under other ids) may have left it no room after all
    if (!this.held.has(cid)) throw new BlobError('busy', `${cid} does not fit beside this node's own attachments (config blobs.storeBytes)`)
    return blob
  }

  /**
   * Drops attachments until the store fits its bound: others' first, least recently used first,
   * then (for an own one coming in) the operator's own. Another's coming in never pushes out an own
   * one (commitOne checked that it fits beside them; when own ones came in meanwhile, it goes itself).
   */
  private async evict (coming: HeldBlob): Promise<void> {
    if (this.total <= this.storeBytes) return
    const byAge = [...this.held.values()].filter((b) => b !== coming && (coming.own || !b.own))
      .sort((a, b) => a.own !== b.own ? (a.own ? 1 : -1) : a.lastUsed - b.lastUsed)
    if (!coming.own) byAge.push(coming)
    for (const b of byAge) {
      if (this.total <= this.storeBytes) break
      this.held.delete(b.cid)
      this.total -= b.size
      this.evicted++
      await rm(join(this.dir, b.cid), { recursive: true, force: true })
    }
  }
}

export interface PartialWriter {
  readonly written: number
  append: (bytes: Bytes) => Promise<void>
  discard: () => Promise<void>
  /** Moves the attachment in (`origin` default `other`); `busy` when another's does not fit beside the operator's own. */
  commit: (cid: string, m: Manifest, manifestBytes?: Uint8Array, origin?: BlobOrigin) => Promise<HeldBlob>
}

/** What is left of `pieces` after its first `n` bytes. */
function skip (pieces: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const p of pieces) {
    if (n >= p.byteLength) { n -= p.byteLength; continue }
    out.push(n > 0 ? p.subarray(n) : p)
    n = 0
  }
  return out
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

export { chunkCount }
