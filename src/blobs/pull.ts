// Pulling one attachment from whoever holds it, verified as it arrives; no node: imports, so the
// daemon (fetch.ts, into its store) and the page (into memory) run the same loop. The manifest
// first (multi-chunk roots), then the chunks in order from one holder at a time. Every frame is
// checked against the hash the root id vouches for; a holder that sends a bad one (`bad-hash`)
// or goes away is dropped and the transfer resumes at the same chunk from the next holder.

import type { PeerId } from '@libp2p/interface'
import { chunkRange, decodeManifestWith, matchesWith, parseCid, type Manifest, type Sha256 } from './cid-core.ts'
import { CHUNK_BYTES } from './constants.ts'
import { BlobError } from './errors.ts'
import { BATCH_CHUNKS, openTransfer, readFrame, requestMore, type BlobRequest, type OpenedTransfer } from './protocol.ts'

export interface PullInit {
  libp2p: { dialProtocol: Function }
  /** sha2-256 (node:crypto on the daemon, noble in the page). */
  hash: Sha256
  /** The largest attachment this side takes. */
  maxBytes: number
  /** Holders to try, in order (deduplicated here). */
  holders: PeerId[]
  /** The size an envelope declared, if any: a holder must agree. */
  size?: number
  signal: AbortSignal
  /** Takes the verified chunks in order; one append in flight at a time. */
  append: (bytes: Uint8Array) => Promise<void>
  /** A holder dropped, and why (its code: `bad-hash`, `bad-manifest`, `bad-frame`, `not-found`, …). */
  onFail?: (peer: PeerId, err: BlobError) => void
}

export interface Pulled { manifest: Manifest, manifestBytes?: Uint8Array }

export async function pullVerified (cid: string, init: PullInit): Promise<Pulled> {
  const { signal, hash } = init
  const holders = dedupe(init.holders)
  if (holders.length === 0) throw new BlobError('not-found', `no holder of ${cid} is connected`)
  const { codec } = parseCid(cid)
  let last: BlobError | undefined
  const fail = (peer: PeerId, err: unknown): void => {
    const e = err instanceof BlobError ? err : new BlobError('not-found', (err as Error)?.message ?? String(err))
    if (signal.aborted) throw new BlobError('not-found', `fetching ${cid} was aborted`)
    init.onFail?.(peer, e)
    // the most telling reason wins: a holder's bad data over one that simply lacked it
    if (last === undefined || last.code === 'not-found' || e.code === 'too-large') last = e
  }
  const remaining = [...holders]
  /**
   * Asks the first holder left for a transfer of `request()` (asked anew each time: the request
   * may depend on progress) and has `read` take it to the end; a holder that fails is dropped
   * (`fail`) and the next one asked. The one that served stays first; undefined when none did.
   * A transfer over the cap ends it all (`too-large`): any holder would be.
   */
  const fromHolders = async <T>(request: () => BlobRequest, read: (t: OpenedTransfer, peer: PeerId) => Promise<T>): Promise<T | undefined> => {
    while (remaining.length > 0) {
      const peer = remaining[0]
      try {
        const t = await openTransfer(init.libp2p, peer, request(), signal)
        try {
          if (t.header.status !== 'ok') throw new BlobError('not-found', `${peer.toString()} does not hold ${cid}`)
          const out = await read(t, peer)
          await t.stream.close().catch(() => {})
          return out
        } catch (err) {
          t.stream.abort(err instanceof Error ? err : new Error(String(err)))
          throw err
        }
      } catch (err) {
        if (err instanceof BlobError && err.code === 'too-large') throw err
        fail(peer, err)
        remaining.shift()
      }
    }
    return undefined
  }

  // what the chunks must hash to
  let manifest: Manifest
  let manifestBytes: Uint8Array | undefined
  if (codec === 0x55) {
    manifest = { size: init.size ?? -1, chunkBytes: CHUNK_BYTES, chunks: [cid] }
  } else {
    const got = await fromHolders(() => ({ cid, want: 'manifest' }), async (t) => {
      if ((t.header.size ?? 0) > init.maxBytes) throw tooLarge(cid, t.header.size ?? 0, init.maxBytes)
      const bytes = await readFrame(t, signal)
      const m = decodeManifestWith(hash, cid, bytes)
      if (init.size !== undefined && m.size !== init.size) throw new BlobError('bad-manifest', `${cid} holds ${m.size} bytes, the envelope said ${init.size}`)
      if (m.size > init.maxBytes) throw tooLarge(cid, m.size, init.maxBytes)
      return { m, bytes }
    })
    if (got === undefined) throw last ?? new BlobError('not-found', `no holder served ${cid}`)
    manifest = got.m
    manifestBytes = got.bytes
  }

  // the chunks, resumed at `next` from each holder in turn
  let writing: Promise<void> = Promise.resolve()
  let next = 0
  try {
    await fromHolders(() => ({ cid, from: next, count: BATCH_CHUNKS }), async (t, peer) => {
      let requested = Math.min(manifest.chunks.length, next + BATCH_CHUNKS)
      if (codec === 0x55) {
        // a single chunk: its size comes from the holder, bounded by the chunk size and the cap
        const size = t.header.size ?? -1
        if (t.header.chunks !== 1 || size < 0 || size > CHUNK_BYTES) throw new BlobError('bad-frame', `${cid} is one chunk, the holder says ${t.header.chunks ?? '?'}`)
        if (size > init.maxBytes) throw tooLarge(cid, size, init.maxBytes)
        if (init.size !== undefined && init.size !== size) throw new BlobError('bad-manifest', `${cid} holds ${size} bytes, the envelope said ${init.size}`)
        manifest.size = size
      }
      while (next < manifest.chunks.length) {
        // keep one more batch asked for while this one arrives
        if (requested < manifest.chunks.length && requested - next <= BATCH_CHUNKS) {
          const count = Math.min(BATCH_CHUNKS, manifest.chunks.length - requested)
          await requestMore(t, { cid, from: requested, count }, signal)
          requested += count
        }
        const bytes = await readFrame(t, signal)
        const { start, end } = chunkRange(manifest, next)
        if (bytes.length !== end - start || !matchesWith(hash, manifest.chunks[next], bytes)) {
          throw new BlobError('bad-hash', `chunk ${next} of ${cid} from ${peer.toString()} does not hash to ${manifest.chunks[next]}`)
        }
        // taking this chunk (a disk write) overlaps the arrival of the next
        await writing
        writing = init.append(bytes)
        next++
      }
      await writing
    })
    await writing
  } catch (err) {
    await writing.catch(() => {})
    throw err
  }
  if (next < manifest.chunks.length) throw last ?? new BlobError('not-found', `no holder served all of ${cid}`)
  return { manifest, manifestBytes }
}

export function tooLarge (cid: string, size: number, max: number): BlobError {
  return new BlobError('too-large', `${cid} is ${size} bytes, over this node's attachment cap of ${max} (config blobs.maxBytes)`, { size, max })
}

function dedupe (peers: PeerId[]): PeerId[] {
  const seen = new Set<string>()
  return peers.filter((p) => { const k = p.toString(); if (seen.has(k)) return false; seen.add(k); return true })
}
