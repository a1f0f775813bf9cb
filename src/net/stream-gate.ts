// The stream gate: every inbound stream of a gated protocol (tasks, consensus, knowledge,
// delivery, history) passes the admission before its handler runs, whichever part registered
// it. It wraps `libp2p.handle` once, before the services start. (libp2p 3's own `use()`
// middleware is not used: its registrar hands out the stored middleware array and the
// connection pushes the handler onto it for every inbound stream, so handlers would pile up.)
//
// The gate also bounds, per protocol, the inbound streams handled at once across all peers
// (libp2p's own limits are per connection: 100 peers × 64 streams is 6,400 handlers), and for
// one peer (an eighth of that: streams opened and left silent until their timeout cost a
// stranger nothing, and four identities held every slot): a stream beyond either is refused
// with reason `stream-limit`.
//
// A refused stream gets one length-prefixed frame, `{"status":"refused","reason":R,"detail":…}`
// (the consensus protocol's refusal shape), and is closed; the handler never sees it. A refusal
// for rate says when a stream would be taken (`retryAfterMs`), so an honest opener waits that
// long instead of guessing.

import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'

export type StreamVerdict = { ok: true } | { ok: false, action: 'reject' | 'ignore', reason: string, detail?: string, retryAfterMs?: number }

export interface StreamGateInit {
  /** Protocols that pass the gate; all others are handled untouched. */
  protocols: ReadonlySet<string>
  judge: (protocol: string, peer: PeerId) => StreamVerdict
  onRefused?: (protocol: string, peer: PeerId, verdict: Exclude<StreamVerdict, { ok: true }>) => void
  /** Inbound streams of one protocol handled at once, all peers together. */
  maxActive?: number
  /** The same for one peer (default an eighth of maxActive): a few identities cannot hold every slot. */
  maxActivePerPeer?: number
}

/** Default node-wide bound on concurrent inbound streams per gated protocol. */
export const GATE_MAX_ACTIVE_PER_PROTOCOL = 256

export interface StreamGateStats {
  /** Per protocol: streams being handled now, the bound, and streams refused for the bound. */
  (): Record<string, { active: number, max: number, refused: number }>
}

interface Handles {
  handle: (protocol: string | string[], handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
}

const encoder = new TextEncoder()

export function gateInboundStreams (libp2p: Handles, init: StreamGateInit): StreamGateStats {
  const original = libp2p.handle.bind(libp2p)
  const max = init.maxActive ?? GATE_MAX_ACTIVE_PER_PROTOCOL
  const perPeer = init.maxActivePerPeer ?? Math.max(1, Math.floor(max / 8))
  const active = new Map<string, number>()
  // (protocol, peer) → streams being handled; entries leave at zero, so the map is bounded by the streams open
  const activeByPeer = new Map<string, number>()
  const refusedForLimit = new Map<string, number>()
  libp2p.handle = async (protocol, handler, options) => {
    const list = Array.isArray(protocol) ? protocol : [protocol]
    if (!list.some((p) => init.protocols.has(p))) return await original(protocol, handler, options)
    const gated: StreamHandler = async (stream: Stream, connection: Connection) => {
      const p = stream.protocol ?? list[0]
      if (init.protocols.has(p)) {
        const v = init.judge(p, connection.remotePeer)
        if (!v.ok) {
          init.onRefused?.(p, connection.remotePeer, v)
          await refuse(stream, v)
          return
        }
        const now = active.get(p) ?? 0
        const peerKey = `${p} ${connection.remotePeer.toString()}`
        const mine = activeByPeer.get(peerKey) ?? 0
        if (now >= max || mine >= perPeer) {
          const limit = { ok: false as const, action: 'ignore' as const, reason: 'stream-limit', detail: now >= max ? `${max} ${p} streams open` : `${perPeer} ${p} streams open from this peer` }
          refusedForLimit.set(p, (refusedForLimit.get(p) ?? 0) + 1)
          init.onRefused?.(p, connection.remotePeer, limit)
          await refuse(stream, limit)
          return
        }
        active.set(p, now + 1)
        activeByPeer.set(peerKey, mine + 1)
        try {
          await handler(stream, connection)
        } finally {
          active.set(p, (active.get(p) ?? 1) - 1)
          const left = (activeByPeer.get(peerKey) ?? 1) - 1
          if (left > 0) activeByPeer.set(peerKey, left)
          else activeByPeer.delete(peerKey)
        }
        return
      }
      await handler(stream, connection)
    }
    return await original(protocol, gated, options)
  }
  return () => Object.fromEntries([...init.protocols].map((p) => [p, { active: active.get(p) ?? 0, max, refused: refusedForLimit.get(p) ?? 0 }]))
}

async function refuse (stream: Stream, v: { reason: string, detail?: string, retryAfterMs?: number }): Promise<void> {
  const signal = AbortSignal.timeout(2000)
  try {
    const lp = lpStream(stream)
    const retryAfterMs = v.retryAfterMs === undefined ? undefined : Math.ceil(v.retryAfterMs)
    await lp.write(encoder.encode(JSON.stringify({ status: 'refused', reason: v.reason, detail: v.detail, retryAfterMs })), { signal })
    await stream.close({ signal })
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}
