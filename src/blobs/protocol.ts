// /swarm/blob/1.0.0: one stream per transfer, length-prefixed frames.
//   → {"cid": ROOT, "want": "manifest"}          ← header, then the manifest bytes (multi-chunk roots)
//   → {"cid": ROOT, "from": 0, "count": K}       ← chunks 0…K-1 (no header), asked for right behind
//                                                  the manifest on the same stream
//   → {"cid": ROOT, "from": I, "count": K}       ← header, then chunks I…I+K-1, one frame each (a
//                                                  transfer that starts with chunks: a resume, a one-chunk root)
//   → {"cid": ROOT, "from": I+K, "count": K}     ← the next K chunks (no header), … until the last
// The header is {"status":"ok","size":S,"chunks":N} or {"status":"not-found"}. Every follow-up
// continues where the transfer stands. The reader asks for chunks in batches and keeps at most
// two batches (3 MiB) outstanding: that, not the muxer, is the backpressure (a libp2p 3 stream's
// read buffer fails at 4 MiB rather than slowing the sender). Each frame has its own timeout and
// any failure aborts the stream. The server sends only what it holds whole; the client verifies
// everything (pull.ts).

import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { FileHandle } from 'node:fs/promises'
import { FRAME_TIMEOUT_MS, MAX_INBOUND_STREAMS, MAX_MANIFEST_BYTES, MAX_REQUEST_BYTES, PROTOCOL_BLOB, CHUNK_BYTES } from './constants.ts'
import { BlobError } from './errors.ts'
import type { BlobStore } from './store.ts'

export interface BlobRequest { cid: string, want?: 'manifest', from?: number, count?: number }
/** Chunks per request: two outstanding batches (3 MiB) stay inside a stream's 4 MiB read buffer. */
export const BATCH_CHUNKS = 6
/** What a holder reads from disk in one go: as many whole chunks as fit (4 of CHUNK_BYTES), at least one. */
const READ_GROUP_BYTES = 1024 * 1024
/** Groups read ahead across all transfers a holder serves (~16 MiB), and for one peer's (~4 MiB); past it, a transfer reads as it sends. */
export const READ_AHEAD_GROUPS = 16
export const READ_AHEAD_PER_PEER = 4
export interface BlobHeader { status: 'ok' | 'not-found', size?: number, chunks?: number }

const encoder = new TextEncoder()
const decoder = new TextDecoder()
/** Largest frame either side reads: a chunk or a manifest. */
export const MAX_FRAME = Math.max(CHUNK_BYTES, MAX_MANIFEST_BYTES) + 64

/** Parses a request frame; throws `bad-frame`. Pure. */
export function parseRequest (bytes: Uint8Array): BlobRequest {
  let o: any
  try { o = JSON.parse(decoder.decode(bytes)) } catch { throw new BlobError('bad-frame', 'request is not JSON') }
  if (o === null || typeof o !== 'object' || typeof o.cid !== 'string' || o.cid.length > 128) throw new BlobError('bad-frame', 'request lacks a cid')
  for (const k of Object.keys(o)) if (k !== 'cid' && k !== 'want' && k !== 'from' && k !== 'count') throw new BlobError('bad-frame', `unknown request field ${k}`)
  if (o.count !== undefined && (!Number.isSafeInteger(o.count) || o.count < 1 || o.count > 64)) throw new BlobError('bad-frame', 'count must be 1 to 64 chunks')
  if (o.want !== undefined && o.want !== 'manifest') throw new BlobError('bad-frame', 'want must be manifest')
  if (o.from !== undefined && (!Number.isSafeInteger(o.from) || o.from < 0)) throw new BlobError('bad-frame', 'from must be a chunk index')
  if ((o.want === undefined) === (o.from === undefined)) throw new BlobError('bad-frame', 'ask for the manifest or for chunks from an index')
  return o as BlobRequest
}

const frameSignal = (): AbortSignal => AbortSignal.timeout(FRAME_TIMEOUT_MS)

/**
 * How long a holder serves one transfer: SERVE_BASE_MS and the whole attachment at
 * SERVE_MIN_BYTES_PER_SEC. A reader that asks for one batch per frame timeout, just in time, held
 * a stream slot and a file handle for hours while making progress; a slower reader resumes later
 * from where it got to (from this holder or another).
 */
export const SERVE_BASE_MS = 30_000
export const SERVE_MIN_BYTES_PER_SEC = 64 * 1024
export const serveDeadlineMs = (size: number): number => SERVE_BASE_MS + Math.ceil(size / SERVE_MIN_BYTES_PER_SEC * 1000)

export interface ServeHooks {
  served?: (bytes: number) => void
  refused?: (reason: string) => void
  /** How long one transfer of `size` bytes is served (default serveDeadlineMs; tests shorten it). */
  deadlineMs?: (size: number) => number
}

/** Registers the holder's side. */
export async function serveBlobs (libp2p: { handle: Function }, store: BlobStore, hooks: ServeHooks = {}, ahead = new ReadAhead(READ_AHEAD_GROUPS, READ_AHEAD_PER_PEER)): Promise<void> {
  await libp2p.handle(PROTOCOL_BLOB, async (stream: Stream, connection: Connection) => {
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
      const req = parseRequest((await lp.read({ signal: frameSignal() })).subarray())
      // serving a peer is not a use here: a stranger asking for its own junk must not keep it
      const blob = store.peek(req.cid)
      const header = (h: BlobHeader): Uint8Array => encoder.encode(JSON.stringify(h))
      if (blob === undefined || (req.from !== undefined && req.from >= blob.chunks.length)) {
        await lp.write(header({ status: 'not-found' }), { signal: frameSignal() })
        await stream.close({ signal: frameSignal() })
        return
      }
      const deadline = AbortSignal.timeout(Math.ceil(hooks.deadlineMs?.(blob.size) ?? serveDeadlineMs(blob.size)))
      const signal = (): AbortSignal => AbortSignal.any([frameSignal(), deadline])
      await lp.write(header({ status: 'ok', size: blob.size, chunks: blob.chunks.length }), { signal: signal() })
      let next = 0
      let end = 0
      if (req.want === 'manifest') {
        if (blob.manifestBytes !== undefined) await lp.write(blob.manifestBytes, { signal: signal() })
      } else {
        next = req.from ?? 0
        end = Math.min(blob.chunks.length, next + (req.count ?? BATCH_CHUNKS))
      }
      let fh: FileHandle | undefined
      try {
        for (;;) {
          if (next < end) {
            fh ??= await store.openData(req.cid)
            const group = Math.max(1, Math.floor(READ_GROUP_BYTES / blob.chunkBytes))
            next = await sendChunks(lp, store, req.cid, fh, next, end, group, ahead, connection.remotePeer.toString(), hooks, signal)
          }
          if (next >= blob.chunks.length) break
          // the reader asks for more when it is ready for it: after the manifest, chunks from 0 on
          // the same stream; after a batch, the next one. A reader that only wanted the manifest
          // closes its side instead.
          const more = await readFollowUp(lp, signal())
          if (more === undefined) break
          if (more.cid !== req.cid || more.from !== next) throw new BlobError('bad-frame', 'a follow-up request must continue the same transfer')
          end = Math.min(blob.chunks.length, next + (more.count ?? BATCH_CHUNKS))
        }
      } finally {
        await fh?.close()
      }
      await stream.close({ signal: signal() })
    } catch (err: any) {
      hooks.refused?.(err instanceof BlobError ? err.code : 'stream-failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }, { maxInboundStreams: MAX_INBOUND_STREAMS, maxOutboundStreams: MAX_INBOUND_STREAMS, runOnLimitedConnection: false })
}

/**
 * Sends chunks `from`…`end`-1 and returns `end`. They are read from disk a group at a time (~1
 * MiB: one trip through libuv's thread pool per group, ~8 % less CPU per transfer than a read per
 * chunk), and the next group is read while this one is sent when the holder's read-ahead budget
 * gives this peer a token: a reader that stalls keeps what was read for it until the frame
 * timeout. A transfer holds at most one token, released as soon as its group is the one being sent.
 */
async function sendChunks (lp: LengthPrefixedStream<Stream>, store: BlobStore, cid: string, fh: FileHandle, from: number, end: number, group: number, ahead: ReadAhead, peer: string, hooks: ServeHooks, signal: () => AbortSignal): Promise<number> {
  const read = (at: number): Promise<Uint8Array[]> => {
    const p = store.readChunks(cid, at, Math.min(group, end - at), fh)
    // a read failing while a write is refused must not go unhandled; the await below reports it
    p.catch(() => {})
    return p
  }
  let at = from
  let current: Promise<Uint8Array[]> | undefined = read(at)
  // whether `current` was read ahead on a token of the budget
  let token = false
  try {
    while (at < end) {
      const chunks = await (current as Promise<Uint8Array[]>)
      if (token) { token = false; ahead.release(peer) }
      const nextAt = at + chunks.length
      current = undefined
      if (nextAt < end && ahead.take(peer)) { token = true; current = read(nextAt) }
      for (const chunk of chunks) {
        await lp.write(chunk, { signal: signal() })
        hooks.served?.(chunk.length)
      }
      if (current === undefined && nextAt < end) current = read(nextAt)
      at = nextAt
    }
  } finally {
    if (token) ahead.release(peer)
  }
  return end
}

/**
 * Groups of chunks read ahead across all the transfers a holder serves: at most `max` in all and
 * `perPeer` for one peer's transfers, so one peer's slow readers cannot take every token. (Each
 * transfer also holds the group it is sending; that is bounded by the streams libp2p admits.)
 */
export class ReadAhead {
  private held = 0
  private readonly byPeer = new Map<string, number>()
  readonly max: number
  readonly perPeer: number
  constructor (max: number, perPeer = max) {
    this.max = max
    this.perPeer = perPeer
  }

  take (peer: string): boolean {
    const mine = this.byPeer.get(peer) ?? 0
    if (this.held >= this.max || mine >= this.perPeer) return false
    this.held++
    this.byPeer.set(peer, mine + 1)
    return true
  }

  release (peer: string): void {
    const mine = (this.byPeer.get(peer) ?? 0) - 1
    if (mine > 0) this.byPeer.set(peer, mine)
    else this.byPeer.delete(peer)
    this.held--
  }

  get inUse (): number { return this.held }
}

/** The reader's next request on an open transfer; undefined when it closed its side instead. */
async function readFollowUp (lp: LengthPrefixedStream<Stream>, signal: AbortSignal): Promise<BlobRequest | undefined> {
  let bytes: Uint8Array
  try {
    bytes = (await lp.read({ signal })).subarray()
  } catch (err) {
    // the stream ended between requests: the reader is done (lpStream reports it so)
    if ((err as Error)?.name === 'UnexpectedEOFError') return undefined
    throw err
  }
  const more = parseRequest(bytes)
  if (more.from === undefined) throw new BlobError('bad-frame', 'a follow-up request asks for chunks')
  return more
}

export interface OpenedTransfer {
  header: BlobHeader
  lp: LengthPrefixedStream<Stream>
  stream: Stream
}

/** Refusals for load, not for the request: the holder's stream gate over its rate or its bound (src/net/stream-gate.ts). */
const LOAD_REFUSALS = new Set(['rate-limited', 'stream-limit'])

/** A holder's refusal reason, when it is one of the stable codes (`: not-member`); else nothing: its word is not passed on. */
function reasonCode (reason: unknown): string {
  return typeof reason === 'string' && /^[a-z][a-z0-9-]{0,39}$/.test(reason) ? `: ${reason}` : ''
}

/** A holder refused the stream for load: worth asking again shortly, unlike one that lacks the file. */
export class HolderBusy extends BlobError {
  /** When the holder said a stream would be taken (ms; its word, so bounded by the reader). */
  readonly retryAfterMs?: number
  constructor (reason: string, retryAfterMs: unknown) {
    super('not-found', `holder refused: ${reason}`)
    if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) this.retryAfterMs = retryAfterMs
  }
}

/**
 * Opens a transfer from one holder and reads its header. `then`, if given, is written right behind
 * the first request without waiting (the chunks wanted after the manifest): one stream and one
 * round trip for both.
 */
export async function openTransfer (libp2p: { dialProtocol: Function }, peer: PeerId, req: BlobRequest, signal: AbortSignal, then?: BlobRequest): Promise<OpenedTransfer> {
  const stream: Stream = await libp2p.dialProtocol(peer, PROTOCOL_BLOB, { signal: AbortSignal.any([signal, frameSignal()]) })
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_FRAME })
    const requests = then === undefined ? [req] : [req, then]
    await lp.writeV(requests.map((r) => encoder.encode(JSON.stringify(r))), { signal: AbortSignal.any([signal, frameSignal()]) })
    const raw = await lp.read({ signal: AbortSignal.any([signal, frameSignal()]) })
    let header: any
    try { header = JSON.parse(decoder.decode(raw.subarray())) } catch { throw new BlobError('bad-frame', 'header is not JSON') }
    if (header?.status === 'refused') throw LOAD_REFUSALS.has(String(header.reason)) ? new HolderBusy(String(header.reason), header.retryAfterMs) : new BlobError('not-found', `holder refused${reasonCode(header.reason)}`)
    if (header?.status !== 'ok' && header?.status !== 'not-found') throw new BlobError('bad-frame', 'header lacks a status')
    if (header.status === 'ok' && (!Number.isSafeInteger(header.size) || !Number.isSafeInteger(header.chunks) || header.chunks < 1)) throw new BlobError('bad-frame', 'header lacks size or chunks')
    return { header, lp, stream }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

/** Asks for more chunks on an open transfer. */
export async function requestMore (t: OpenedTransfer, req: BlobRequest, signal: AbortSignal): Promise<void> {
  await t.lp.write(encoder.encode(JSON.stringify(req)), { signal: AbortSignal.any([signal, frameSignal()]) })
}

/** The next frame of a transfer. */
export async function readFrame (t: OpenedTransfer, signal: AbortSignal): Promise<Uint8Array> {
  return (await t.lp.read({ signal: AbortSignal.any([signal, frameSignal()]) })).subarray()
}

/**
 * The next frame of a transfer in the pieces it arrived in: a chunk is hashed and stored from
 * them, not joined (the usual handful of ~64 KiB Noise frames). The sender decides how many there
 * are (a chunk sent in 1-byte muxer frames is 256 K pieces), so a frame of more than MAX_PIECES
 * is joined into one: what is kept and handed on per chunk stays bounded.
 */
export async function readFrameParts (t: OpenedTransfer, signal: AbortSignal): Promise<{ parts: Uint8Array[], byteLength: number }> {
  const list = await t.lp.read({ signal: AbortSignal.any([signal, frameSignal()]) })
  const parts = [...list]
  return { parts: parts.length > MAX_PIECES ? [list.subarray()] : parts, byteLength: list.byteLength }
}
/** Pieces a frame may arrive in before it is joined: a 256 KiB chunk is ~5 Noise frames. */
export const MAX_PIECES = 16
