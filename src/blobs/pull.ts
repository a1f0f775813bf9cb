// Pulling one attachment from whoever holds it, verified as it arrives; no node: imports, so the
// daemon (fetch.ts, into its store) and the page (into memory) run the same loop. The manifest
// first (multi-chunk roots), then the chunks in order from one holder at a time. Every frame is
// checked against the hash the root id vouches for; a holder that sends a bad one (`bad-hash`)
// or goes away is dropped and the transfer resumes at the same chunk from the next holder.

import type { PeerId } from '@libp2p/interface'
import { chunkRange, decodeManifestWith, matchesWith, parseCid, type Manifest, type Sha256 } from './cid-core.ts'
import { CHUNK_BYTES } from './constants.ts'
import { BlobError } from './errors.ts'
import { pause } from '../kernel/pause.ts'
import { BATCH_CHUNKS, HolderBusy, openTransfer, readFrame, readFrameParts, requestMore, type BlobRequest, type OpenedTransfer } from './protocol.ts'

/**
 * How often a holder that refused for load (its share of a busy scope taken, src/federation/
 * fair-scope.ts) is asked again, and the pause: the wait the holder named (`retryAfterMs`), at
 * most BUSY_PAUSE_MAX_MS, else 250 ms doubled each time; with jitter so that fetches refused
 * together do not come back together.
 */
const BUSY_RETRIES = 4
const BUSY_PAUSE_MS = 250
const BUSY_PAUSE_MAX_MS = 2000

/**
 * A holder's pace: each batch of BATCH_CHUNKS chunks (1.5 MiB) within PROGRESS_MS (a floor of
 * ~100 KiB/s). A holder sending one valid chunk just inside every frame timeout held a fetch for
 * its whole budget and left the holders after it unasked; a slower one now goes to the back of
 * the line, and the transfer resumes at the same chunk from the next (or from it again, when it
 * is the only one: a slow honest holder still finishes).
 */
export const PROGRESS_MS = 15_000

function busyPause (err: HolderBusy, tries: number): number {
  const named = err.retryAfterMs === undefined ? undefined : Math.min(BUSY_PAUSE_MAX_MS, Math.max(10, err.retryAfterMs))
  return named === undefined ? BUSY_PAUSE_MS * 2 ** tries * (0.5 + Math.random()) : named * (1 + Math.random() / 2)
}

export interface PullInit {
  libp2p: { dialProtocol: Function }
  /** sha2-256 (node:crypto on the daemon, noble in the page). */
  hash: Sha256
  /** The largest attachment this side takes. */
  maxBytes: number
  /** Holders to try, in order (deduplicated here). */
  holders: PeerId[]
  /** Holders named since (another caller joined this fetch): asked when the first ones ran out. */
  moreHolders?: () => PeerId[]
  /** A holder's pace (default PROGRESS_MS per batch; tests shorten it). */
  progressMs?: number
  /** The size an envelope declared, if any: a holder must agree. */
  size?: number
  signal: AbortSignal
  /** Takes the verified chunks in order, each in the pieces it arrived in; one append in flight at a time. */
  append: (bytes: readonly Uint8Array[]) => Promise<void>
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
  const named = new Set(holders.map((p) => p.toString()))
  /** Holders another caller named since: the ones not yet in the line join its end. */
  const joinMore = (): void => {
    for (const p of dedupe(init.moreHolders?.() ?? [])) if (!named.has(p.toString())) { named.add(p.toString()); remaining.push(p) }
  }
  const busy = new Map<string, number>()
  const slow = new Map<string, number>()
  /** The holder that sent the last verified chunk in this pull. */
  let lastServer: string | undefined
  /**
   * Asks the first holder left for a transfer of `request()` (asked anew each time: the request
   * may depend on progress; `then()` is pipelined behind it) and has `read` take it to the end; a
   * holder that fails is dropped (`fail`) and the next one asked. The one that served stays first;
   * false when none did. A transfer whose verified size is over the cap ends it all (`too-large`:
   * any holder would be); a size a holder merely claims (its header) is that holder's failure, or
   * one forged frame from any connected peer would end a fetch that honest holders could serve.
   */
  const fromHolders = async (request: () => BlobRequest, then: () => BlobRequest | undefined, read: (t: OpenedTransfer, peer: PeerId) => Promise<void>): Promise<boolean> => {
    for (;;) {
      if (remaining.length <= 1) joinMore()
      if (remaining.length === 0) break
      const peer = remaining[0]
      try {
        const t = await openTransfer(init.libp2p, peer, request(), signal, then())
        try {
          if (t.header.status !== 'ok') throw new BlobError('not-found', `${peer.toString()} does not hold ${cid}`)
          await read(t, peer)
          await t.stream.close().catch(() => {})
          return true
        } catch (err) {
          t.stream.abort(err instanceof Error ? err : new Error(String(err)))
          // a holder that ends the stream after the manifest (one that does not take the chunks
          // request pipelined behind it) is asked again for the chunks alone, on a stream of their own
          if (err instanceof ManifestOnly) continue
          throw err
        }
      } catch (err) {
        if (err instanceof VerifiedTooLarge) throw err.error
        if (err instanceof SlowHolder && !signal.aborted) {
          // too slow, not wrong: to the back of the line (a holder that is only ever slow is
          // dropped after SLOW_TURNS turns while others are left to ask)
          const turns = (slow.get(peer.toString()) ?? 0) + 1
          slow.set(peer.toString(), turns)
          remaining.shift()
          joinMore()
          // (never the holder that served verified chunks last: a busy or empty line behind it is
          // no reason to lose the one that has been sending; holders that served once and then
          // stall are dropped as any other)
          if (remaining.length === 0 || turns < SLOW_TURNS || lastServer === peer.toString()) remaining.push(peer)
          else init.onFail?.(peer, err)
          continue
        }
        const tries = busy.get(peer.toString()) ?? 0
        if (err instanceof HolderBusy && tries < BUSY_RETRIES && !signal.aborted) {
          // a holder refusing for load has not failed: a holder not yet asked meanwhile, else a pause
          busy.set(peer.toString(), tries + 1)
          remaining.push(remaining.shift() as PeerId)
          if (!remaining.some((p) => !busy.has(p.toString()))) await pause(busyPause(err, tries), signal)
          continue
        }
        fail(peer, err)
        remaining.shift()
      }
    }
    return false
  }

  // what the chunks must hash to: a raw id names its one chunk; a manifest's id, the manifest,
  // fetched first on the same stream as the chunks
  let manifest: Manifest | undefined = codec === 0x55 ? { size: init.size ?? -1, chunkBytes: CHUNK_BYTES, chunks: [cid] } : undefined
  let manifestBytes: Uint8Array | undefined
  const readManifest = async (t: OpenedTransfer): Promise<Manifest> => {
    // the header's size is the holder's word: the manifest (a frame of at most 1 MiB, hashed
    // against the id) says the size
    const bytes = await readFrame(t, signal)
    const m = decodeManifestWith(hash, cid, bytes)
    if (init.size !== undefined && m.size !== init.size) throw new BlobError('bad-manifest', `${cid} holds ${m.size} bytes, the envelope said ${init.size}`)
    if (m.size > init.maxBytes) throw new VerifiedTooLarge(tooLarge(cid, m.size, init.maxBytes))
    manifestBytes = bytes
    return m
  }

  // the chunks, resumed at `next` from each holder in turn
  let writing: Promise<void> = Promise.resolve()
  let next = 0
  const batch = (from: number): BlobRequest => ({ cid, from, count: BATCH_CHUNKS })
  try {
    await fromHolders(() => manifest === undefined ? { cid, want: 'manifest' } : batch(next), () => manifest === undefined ? batch(0) : undefined, async (t, peer) => {
      let pipelined = false
      if (manifest === undefined) {
        manifest = await readManifest(t)
        pipelined = true
      }
      const m = manifest
      let requested = Math.min(m.chunks.length, next + BATCH_CHUNKS)
      if (codec === 0x55) {
        // a single chunk: its size comes from the holder (its word until the chunk hashes to the
        // id), bounded by the chunk size and the cap
        const size = t.header.size ?? -1
        if (t.header.chunks !== 1 || size < 0 || size > CHUNK_BYTES) throw new BlobError('bad-frame', `${cid} is one chunk, the holder says ${t.header.chunks ?? '?'}`)
        if (size > init.maxBytes) throw tooLarge(cid, size, init.maxBytes)
        if (init.size !== undefined && init.size !== size) throw new BlobError('bad-manifest', `${cid} holds ${size} bytes, the envelope said ${init.size}`)
        m.size = size
      }
      // this holder's pace: a batch's worth of chunks within progressMs, else it yields its turn
      const progressMs = init.progressMs ?? PROGRESS_MS
      let paced = AbortSignal.timeout(progressMs)
      let sinceReset = 0
      while (next < m.chunks.length) {
        // keep one more batch asked for while this one arrives
        if (requested < m.chunks.length && requested - next <= BATCH_CHUNKS) {
          const count = Math.min(BATCH_CHUNKS, m.chunks.length - requested)
          await requestMore(t, { cid, from: requested, count }, signal)
          requested += count
        }
        let bytes: { parts: Uint8Array[], byteLength: number }
        try {
          bytes = await readFrameParts(t, AbortSignal.any([signal, paced]))
        } catch (err) {
          if (paced.aborted && !signal.aborted) throw new SlowHolder(`${peer.toString()} sent fewer than ${BATCH_CHUNKS} chunks of ${cid} in ${progressMs} ms`)
          // a holder that closed after the manifest: its end reads as EOF, or (on a loaded
          // machine, the close racing the pipelined request) as a reset; either way it is asked
          // once more for the chunks alone, which a holder that is truly broken then fails
          if (pipelined && next === 0 && !signal.aborted) throw new ManifestOnly()
          throw err
        }
        const { start, end } = chunkRange(m, next)
        if (bytes.byteLength !== end - start || !matchesWith(hash, m.chunks[next], bytes.parts)) {
          throw new BlobError('bad-hash', `chunk ${next} of ${cid} from ${peer.toString()} does not hash to ${m.chunks[next]}`)
        }
        // taking this chunk (a disk write) overlaps the arrival of the next
        await writing
        writing = init.append(bytes.parts)
        lastServer = peer.toString()
        next++
        if (++sinceReset >= BATCH_CHUNKS) { sinceReset = 0; paced = AbortSignal.timeout(progressMs) }
      }
      await writing
    })
    await writing
  } catch (err) {
    await writing.catch(() => {})
    throw err
  }
  if (manifest === undefined) throw last ?? new BlobError('not-found', `no holder served ${cid}`)
  if (next < manifest.chunks.length) throw last ?? new BlobError('not-found', `no holder served all of ${cid}`)
  return { manifest, manifestBytes }
}

/** The holder closed after the manifest: ask it again for the chunks alone. */
class ManifestOnly extends Error {}

/** Turns a holder too slow for its pace gets before it is dropped (while others are left). */
const SLOW_TURNS = 3

/** A holder under its pace (PROGRESS_MS a batch): not wrong, just slow. */
class SlowHolder extends BlobError {
  constructor (message: string) { super('not-found', message) }
}

/** Over the cap by a size the id vouches for (a hashed manifest): no holder can serve it. */
class VerifiedTooLarge extends Error {
  readonly error: BlobError
  constructor (error: BlobError) {
    super(error.message)
    this.error = error
  }
}

export function tooLarge (cid: string, size: number, max: number): BlobError {
  return new BlobError('too-large', `${cid} is ${size} bytes, over this node's attachment cap of ${max} (config blobs.maxBytes)`, { size, max })
}

function dedupe (peers: PeerId[]): PeerId[] {
  const seen = new Set<string>()
  return peers.filter((p) => { const k = p.toString(); if (seen.has(k)) return false; seen.add(k); return true })
}
