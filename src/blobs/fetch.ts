// Fetching an attachment from whoever holds it: the manifest first (multi-chunk roots), then the
// chunks in order from one holder at a time. Every frame is checked against the hash the root id
// vouches for as it arrives; a holder that sends a bad one (`bad-hash`) or goes away is dropped
// and the transfer resumes at the same chunk from the next holder. One fetch per id at a time.

import type { PeerId } from '@libp2p/interface'
import { chunkRange, decodeManifest, matches, parseCid, type Manifest } from './cid.ts'
import { CHUNK_BYTES, FETCH_TIMEOUT_MS } from './constants.ts'
import { BlobError } from './errors.ts'
import { BATCH_CHUNKS, openTransfer, readFrame, requestMore, type BlobRequest, type OpenedTransfer } from './protocol.ts'
import type { BlobStore, HeldBlob } from './store.ts'

export interface FetchInit {
  libp2p: { dialProtocol: Function }
  store: BlobStore
  /** Counts refusals by reason (`bad-hash`, …) and holders tried. */
  onReject?: (reason: string, peer: PeerId) => void
  log?: { debug: (msg: string, data?: Record<string, unknown>) => void }
}

export interface FetchOptions {
  /** Holders to try, in order. */
  holders: PeerId[]
  /** The size an envelope declared: checked against the cap before any byte moves. */
  size?: number
  signal?: AbortSignal
}

export class BlobFetcher {
  private readonly c: FetchInit
  private readonly inflight = new Map<string, Promise<HeldBlob>>()

  constructor (init: FetchInit) {
    this.c = init
  }

  get active (): number { return this.inflight.size }

  async fetch (cid: string, opts: FetchOptions): Promise<HeldBlob> {
    const held = this.c.store.get(cid)
    if (held !== undefined) return held
    parseCid(cid)
    if (opts.size !== undefined && opts.size > this.c.store.maxBytes) throw tooLarge(cid, opts.size, this.c.store.maxBytes)
    let p = this.inflight.get(cid)
    if (p === undefined) {
      p = this.run(cid, opts).finally(() => { this.inflight.delete(cid) })
      this.inflight.set(cid, p)
    }
    return await p
  }

  private async run (cid: string, opts: FetchOptions): Promise<HeldBlob> {
    const signal = AbortSignal.any([opts.signal ?? AbortSignal.timeout(FETCH_TIMEOUT_MS)])
    const holders = dedupe(opts.holders)
    if (holders.length === 0) throw new BlobError('not-found', `no holder of ${cid} is connected`)
    const { codec } = parseCid(cid)
    let last: BlobError | undefined
    const fail = (peer: PeerId, err: unknown): void => {
      const e = err instanceof BlobError ? err : new BlobError('not-found', (err as Error)?.message ?? String(err))
      if (signal.aborted) throw new BlobError('not-found', `fetching ${cid} was aborted`)
      if (e.code === 'bad-hash' || e.code === 'bad-manifest' || e.code === 'bad-frame') this.c.onReject?.(e.code, peer)
      this.c.log?.debug('blob holder failed', { cid, peer: peer.toString(), code: e.code, err: e.message })
      if (last === undefined || last.code === 'not-found' || e.code === 'too-large') last = e
    }

    // what the chunks must hash to
    let manifest: Manifest | undefined
    let manifestBytes: Uint8Array | undefined
    let remaining = holders
    if (codec === 0x55) {
      manifest = { size: opts.size ?? -1, chunkBytes: CHUNK_BYTES, chunks: [cid] }
    } else {
      remaining = await this.fromHolders(remaining, () => manifest !== undefined, fail, async (peer) => {
        await this.transfer(peer, { cid, want: 'manifest' }, signal, async (t) => {
          if ((t.header.size ?? 0) > this.c.store.maxBytes) throw tooLarge(cid, t.header.size ?? 0, this.c.store.maxBytes)
          const bytes = await readFrame(t, signal)
          const m = decodeManifest(cid, bytes)
          if (opts.size !== undefined && m.size !== opts.size) throw new BlobError('bad-manifest', `${cid} holds ${m.size} bytes, the envelope said ${opts.size}`)
          if (m.size > this.c.store.maxBytes) throw tooLarge(cid, m.size, this.c.store.maxBytes)
          manifest = m
          manifestBytes = bytes
        })
      })
      if (manifest === undefined) throw last ?? new BlobError('not-found', `no holder served ${cid}`)
    }

    // the chunks, resumed at `next` from each holder in turn
    const writer = await this.c.store.partialWriter()
    let writing: Promise<void> = Promise.resolve()
    let next = 0
    try {
      const m = manifest
      await this.fromHolders(remaining, () => next >= m.chunks.length, fail, async (peer) => {
        await this.transfer(peer, { cid, from: next, count: BATCH_CHUNKS }, signal, async (t) => {
          let requested = Math.min(m.chunks.length, next + BATCH_CHUNKS)
          if (codec === 0x55) {
            // a single chunk: its size comes from the holder, bounded by the chunk size and the cap
            const size = t.header.size ?? -1
            if (t.header.chunks !== 1 || size < 0 || size > CHUNK_BYTES) throw new BlobError('bad-frame', `${cid} is one chunk, the holder says ${t.header.chunks ?? '?'}`)
            if (size > this.c.store.maxBytes) throw tooLarge(cid, size, this.c.store.maxBytes)
            if (opts.size !== undefined && opts.size !== size) throw new BlobError('bad-manifest', `${cid} holds ${size} bytes, the envelope said ${opts.size}`)
            m.size = size
          }
          while (next < m.chunks.length) {
            // keep one more batch asked for while this one arrives
            if (requested < m.chunks.length && requested - next <= BATCH_CHUNKS) {
              const count = Math.min(BATCH_CHUNKS, m.chunks.length - requested)
              await requestMore(t, { cid, from: requested, count }, signal)
              requested += count
            }
            const bytes = await readFrame(t, signal)
            const { start, end } = chunkRange(m, next)
            if (bytes.length !== end - start || !matches(m.chunks[next], bytes)) {
              throw new BlobError('bad-hash', `chunk ${next} of ${cid} from ${peer.toString()} does not hash to ${m.chunks[next]}`)
            }
            // the disk write of this chunk overlaps the arrival of the next (one write in flight)
            await writing
            writing = writer.append(bytes)
            next++
          }
          await writing
        })
      })
      await writing
      if (next < manifest.chunks.length) throw last ?? new BlobError('not-found', `no holder served all of ${cid}`)
      return await writer.commit(cid, manifest, manifestBytes)
    } catch (err) {
      await writing.catch(() => {})
      await writer.discard()
      throw err
    }
  }

  /**
   * The next holder, until `done()`: each is tried once in order, and one that fails (reported to
   * `fail`) is dropped. `too-large` ends the fetch at once: no holder can make the file smaller.
   * Returns the holders not dropped, the one that finished first.
   */
  private async fromHolders (holders: PeerId[], done: () => boolean, fail: (peer: PeerId, err: unknown) => void, attempt: (peer: PeerId) => Promise<void>): Promise<PeerId[]> {
    const left = [...holders]
    while (!done() && left.length > 0) {
      try {
        await attempt(left[0])
        if (!done()) left.shift()
      } catch (err) {
        if (err instanceof BlobError && err.code === 'too-large') throw err
        fail(left[0], err)
        left.shift()
      }
    }
    return left
  }

  /** One transfer with `peer`: refused unless the holder says ok; closed after `body`, aborted if it throws. */
  private async transfer (peer: PeerId, req: BlobRequest, signal: AbortSignal, body: (t: OpenedTransfer) => Promise<void>): Promise<void> {
    const t = await openTransfer(this.c.libp2p, peer, req, signal)
    try {
      if (t.header.status !== 'ok') throw new BlobError('not-found', `${peer.toString()} does not hold ${req.cid}`)
      await body(t)
      await t.stream.close().catch(() => {})
    } catch (err) {
      t.stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }
}

function tooLarge (cid: string, size: number, max: number): BlobError {
  return new BlobError('too-large', `${cid} is ${size} bytes, over this node's attachment cap of ${max} (config blobs.maxBytes)`, { size, max })
}

function dedupe (peers: PeerId[]): PeerId[] {
  const seen = new Set<string>()
  return peers.filter((p) => { const k = p.toString(); if (seen.has(k)) return false; seen.add(k); return true })
}
