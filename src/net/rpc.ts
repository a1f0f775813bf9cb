// Request/response over libp2p streams: one length-prefixed request frame, one response frame,
// then close — the shape of /swarm/task, /swarm/knowledge, /swarm/consensus and
// /swarm/history. Frames have a size cap, both sides have timeouts, and any failure aborts
// the stream so a stalled peer cannot hold it open.

import { lpStream } from '@libp2p/utils'
import type { Libp2p, PeerId, Stream, Connection } from '@libp2p/interface'
import { isMultiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { MAX_FRAME_BYTES, STREAM_TIMEOUT_MS } from '../constants.ts'
import { SwarmError, scopedSignal } from '../errors.ts'

export interface RequestHandlerOptions {
  maxDataLength?: number
  /** Inbound handler time limit (the handler's own work included). */
  timeoutMs?: number
  maxInboundStreams?: number
  maxOutboundStreams?: number
}

export type RequestHandler = (request: Uint8Array, from: PeerId, signal: AbortSignal, connection: Connection) => Promise<Uint8Array>

export async function handleRequests (libp2p: Libp2p<any>, protocol: string, handler: RequestHandler, opts: RequestHandlerOptions = {}): Promise<void> {
  const maxDataLength = opts.maxDataLength ?? MAX_FRAME_BYTES
  await libp2p.handle(protocol, async (stream: Stream, connection: Connection) => {
    const signal = AbortSignal.timeout(opts.timeoutMs ?? STREAM_TIMEOUT_MS)
    const onAbort = (): void => { stream.abort(new SwarmError('timeout', `${protocol} handler timed out`)) }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const lp = lpStream(stream, { maxDataLength })
      const req = await lp.read({ signal })
      const res = await handler(req.subarray(), connection.remotePeer, signal, connection)
      await lp.write(res, { signal })
      await stream.close({ signal })
    } catch (err: any) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }, {
    maxInboundStreams: opts.maxInboundStreams ?? 64,
    maxOutboundStreams: opts.maxOutboundStreams ?? 64,
    runOnLimitedConnection: true
  })
}

export interface RequestOptions {
  signal?: AbortSignal
  timeoutMs?: number
  maxDataLength?: number
}

/**
 * A request goes to a peer over a connection it has, or to addresses the peer store knows;
 * never through a peer-routing (DHT) walk. Libp2p merges every dial to one peer into one job, so
 * a slow walk for a peer whose id was only heard in gossip would hold up the operator's own
 * `connect` to that peer; finding members is the rendezvous's job, and it dials what it finds.
 */
export async function assertRoutable (libp2p: Libp2p<any>, peer: PeerId | Multiaddr): Promise<void> {
  if (isMultiaddr(peer) || libp2p.getConnections(peer).length > 0) return
  const known = await libp2p.peerStore.get(peer).then((p: { addresses: unknown[] }) => p.addresses.length > 0, () => false)
  if (!known) throw new SwarmError('no-route', `no connection to ${peer.toString()} and no known address`)
}

/**
 * Sends one request frame and returns the one response frame. Rejects with a SwarmError:
 * `timeout`, `aborted` (the caller's signal) or `stream-failed`; any failure aborts (resets)
 * the stream, so the handler on the other side stops its work.
 */
export async function request (libp2p: Libp2p<any>, peer: PeerId | Multiaddr, protocol: string, data: Uint8Array, opts: RequestOptions = {}): Promise<Uint8Array> {
  const timeoutMs = opts.timeoutMs ?? STREAM_TIMEOUT_MS
  const scope = scopedSignal([opts.signal], timeoutMs)
  const signal = scope.signal
  let stream: Stream | undefined
  try {
    await assertRoutable(libp2p, peer)
    stream = await libp2p.dialProtocol(peer, protocol, { signal, runOnLimitedConnection: true })
    const lp = lpStream(stream, { maxDataLength: opts.maxDataLength ?? MAX_FRAME_BYTES })
    await lp.write(data, { signal })
    const res = await lp.read({ signal })
    await stream.close({ signal }).catch(() => {})
    return res.subarray()
  } catch (err: any) {
    stream?.abort(err instanceof Error ? err : new Error(String(err)))
    if (err instanceof SwarmError) throw err
    if (opts.signal?.aborted === true) throw new SwarmError('aborted', `${protocol} request aborted`)
    if (signal.aborted) throw new SwarmError('timeout', `${protocol}: no answer within ${Math.round(timeoutMs / 1000)} s`)
    throw new SwarmError('stream-failed', `${protocol} request failed: ${err?.message as string}`, { cause: err })
  } finally {
    scope.done()
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodeJson (value: unknown): Uint8Array { return encoder.encode(JSON.stringify(value)) }

export function decodeJson (bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes))
  } catch {
    throw new SwarmError('bad-json', 'response frame is not JSON')
  }
}
