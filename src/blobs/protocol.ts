// /swarm/blob/1.0.0: one stream per transfer, length-prefixed frames.
//   → {"cid": ROOT, "want": "manifest"}          ← header, then the manifest bytes (multi-chunk roots)
//   → {"cid": ROOT, "from": I, "count": K}       ← header, then chunks I…I+K-1, one frame each
//   → {"cid": ROOT, "from": I+K, "count": K}     ← the next K chunks (no header), … until the last
// The header is {"status":"ok","size":S,"chunks":N} or {"status":"not-found"}. The reader asks
// for chunks in batches and keeps at most two batches (3 MiB) outstanding: that, not the muxer, is the
// backpressure (a libp2p 3 stream's read buffer fails at 4 MiB rather than slowing the sender).
// Each frame has its own timeout and any failure aborts the stream. The server sends only what
// it holds whole; the client verifies everything (fetch.ts).

import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { FRAME_TIMEOUT_MS, MAX_INBOUND_STREAMS, MAX_MANIFEST_BYTES, MAX_REQUEST_BYTES, PROTOCOL_BLOB, CHUNK_BYTES } from './constants.ts'
import { BlobError } from './errors.ts'
import type { BlobStore } from './store.ts'

export interface BlobRequest { cid: string, want?: 'manifest', from?: number, count?: number }
/** Chunks per request: two outstanding batches (3 MiB) stay inside a stream's 4 MiB read buffer. */
export const BATCH_CHUNKS = 6
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

export interface ServeHooks {
  served?: (bytes: number) => void
  refused?: (reason: string) => void
}

/** Registers the holder's side. */
export async function serveBlobs (libp2p: { handle: Function }, store: BlobStore, hooks: ServeHooks = {}): Promise<void> {
  await libp2p.handle(PROTOCOL_BLOB, async (stream: Stream, _connection: Connection) => {
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
      const req = parseRequest((await lp.read({ signal: frameSignal() })).subarray())
      const blob = store.get(req.cid)
      const header = (h: BlobHeader): Uint8Array => encoder.encode(JSON.stringify(h))
      if (blob === undefined || (req.from !== undefined && req.from >= blob.chunks.length)) {
        await lp.write(header({ status: 'not-found' }), { signal: frameSignal() })
        await stream.close({ signal: frameSignal() })
        return
      }
      await lp.write(header({ status: 'ok', size: blob.size, chunks: blob.chunks.length }), { signal: frameSignal() })
      if (req.want === 'manifest') {
        if (blob.manifestBytes !== undefined) await lp.write(blob.manifestBytes, { signal: frameSignal() })
      } else {
        const fh = await store.openData(req.cid)
        try {
          let next = req.from ?? 0
          let end = Math.min(blob.chunks.length, next + (req.count ?? BATCH_CHUNKS))
          for (;;) {
            // one chunk read ahead: the disk read of the next overlaps the network write of this one
            let ahead: Promise<Uint8Array> | undefined = next < end ? store.readChunk(req.cid, next, fh) : undefined
            for (; next < end; next++) {
              const chunk = await (ahead as Promise<Uint8Array>)
              ahead = next + 1 < end ? store.readChunk(req.cid, next + 1, fh) : undefined
              // a read failing while the write is refused must not go unhandled; the loop's await reports it
              ahead?.catch(() => {})
              await lp.write(chunk, { signal: frameSignal() })
              hooks.served?.(chunk.length)
            }
            if (next >= blob.chunks.length) break
            // the reader asks for the next batch when it is ready for it
            const more = parseRequest((await lp.read({ signal: frameSignal() })).subarray())
            if (more.cid !== req.cid || more.from !== next) throw new BlobError('bad-frame', 'a follow-up request must continue the same transfer')
            end = Math.min(blob.chunks.length, next + (more.count ?? BATCH_CHUNKS))
          }
        } finally {
          await fh.close()
        }
      }
      await stream.close({ signal: frameSignal() })
    } catch (err: any) {
      hooks.refused?.(err instanceof BlobError ? err.code : 'stream-failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }, { maxInboundStreams: MAX_INBOUND_STREAMS, maxOutboundStreams: MAX_INBOUND_STREAMS, runOnLimitedConnection: false })
}

export interface OpenedTransfer {
  header: BlobHeader
  lp: LengthPrefixedStream<Stream>
  stream: Stream
}

/** Opens a request to one holder and reads its header. */
export async function openTransfer (libp2p: { dialProtocol: Function }, peer: PeerId, req: BlobRequest, signal: AbortSignal): Promise<OpenedTransfer> {
  const stream: Stream = await libp2p.dialProtocol(peer, PROTOCOL_BLOB, { signal: AbortSignal.any([signal, frameSignal()]) })
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_FRAME })
    await lp.write(encoder.encode(JSON.stringify(req)), { signal: AbortSignal.any([signal, frameSignal()]) })
    const raw = await lp.read({ signal: AbortSignal.any([signal, frameSignal()]) })
    let header: any
    try { header = JSON.parse(decoder.decode(raw.subarray())) } catch { throw new BlobError('bad-frame', 'header is not JSON') }
    if (header?.status === 'refused') throw new BlobError('not-found', `holder refused: ${String(header.reason)}`)
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
