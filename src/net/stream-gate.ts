// The stream gate: every inbound stream of a gated protocol (tasks, consensus, knowledge,
// delivery, history) passes the admission before its handler runs, whichever part registered
// it. It wraps `libp2p.handle` once, before the services start. (libp2p 3's own `use()`
// middleware is not used: its registrar hands out the stored middleware array and the
// connection pushes the handler onto it for every inbound stream, so handlers would pile up.)
//
// The gate also bounds, per protocol, the inbound streams handled at once across all peers
// (libp2p's own limits are per connection: 100 peers × 64 streams is 6,400 handlers), for one
// peer (an eighth of that: streams opened and left silent until their timeout cost a stranger
// nothing), and for one host (a quarter: identities are free, and eight of them from one machine
// held every slot; src/net/host-key.ts): a stream beyond any is refused with reason
// `stream-limit`.
//
// A refused stream gets one length-prefixed frame, `{"status":"refused","reason":R,"detail":…}`
// (the consensus protocol's refusal shape), and is closed; the handler never sees it. A refusal
// for rate says when a stream would be taken (`retryAfterMs`), so an honest opener waits that
// long instead of guessing.

import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'
import { hostKey } from './host-key.ts'

export type StreamVerdict = { ok: true } | { ok: false, action: 'reject' | 'ignore', reason: string, detail?: string, retryAfterMs?: number }

export interface StreamGateInit {
  /** Protocols that pass the gate; all others are handled untouched. */
  protocols: ReadonlySet<string>
  /** `host`: the connection's host (src/net/host-key.ts), undefined for loopback and WebRTC ones; circuits count as their relay's, apart. */
  judge: (protocol: string, peer: PeerId, host: string | undefined) => StreamVerdict
  onRefused?: (protocol: string, peer: PeerId, verdict: Exclude<StreamVerdict, { ok: true }>) => void
  /** Inbound streams of one protocol handled at once, all peers together. */
  maxActive?: number
  /** The same for one peer (default an eighth of maxActive). */
  maxActivePerPeer?: number
  /** The same for one host, all its peers together (default a quarter of maxActive): its identities cannot hold every slot. */
  maxActivePerHost?: number
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
  const perHost = init.maxActivePerHost ?? Math.max(1, Math.floor(max / 4))
  const active = new Map<string, number>()
  // (protocol, peer) and (protocol, host) → streams being handled; entries leave at zero, so the
  // maps are bounded by the streams open
  const activeByPeer = new Map<string, number>()
  const activeByHost = new Map<string, number>()
  const refusedForLimit = new Map<string, number>()
  libp2p.handle = async (protocol, handler, options) => {
    const list = Array.isArray(protocol) ? protocol : [protocol]
    if (!list.some((p) => init.protocols.has(p))) return await original(protocol, handler, options)
    const gated: StreamHandler = async (stream: Stream, connection: Connection) => {
      const p = stream.protocol ?? list[0]
      if (init.protocols.has(p)) {
        const host = hostKey(connection.remoteAddr)
        const v = init.judge(p, connection.remotePeer, host)
        if (!v.ok) {
          init.onRefused?.(p, connection.remotePeer, v)
          await refuse(stream, v)
          return
        }
        const now = active.get(p) ?? 0
        const peerKey = `${p} ${connection.remotePeer.toString()}`
        const hostSlot = host === undefined ? undefined : `${p} ${host}`
        const mine = activeByPeer.get(peerKey) ?? 0
        const ours = hostSlot === undefined ? 0 : activeByHost.get(hostSlot) ?? 0
        const full = now >= max ? `${max} ${p} streams open` : mine >= perPeer ? `${perPeer} ${p} streams open from this peer` : ours >= perHost ? `${perHost} ${p} streams open from this host` : undefined
        if (full !== undefined) {
          const limit = { ok: false as const, action: 'ignore' as const, reason: 'stream-limit', detail: full }
          refusedForLimit.set(p, (refusedForLimit.get(p) ?? 0) + 1)
          init.onRefused?.(p, connection.remotePeer, limit)
          await refuse(stream, limit)
          return
        }
        active.set(p, now + 1)
        up(activeByPeer, peerKey)
        if (hostSlot !== undefined) up(activeByHost, hostSlot)
        try {
          await handler(stream, connection)
        } finally {
          active.set(p, (active.get(p) ?? 1) - 1)
          down(activeByPeer, peerKey)
          if (hostSlot !== undefined) down(activeByHost, hostSlot)
        }
        return
      }
      await handler(stream, connection)
    }
    return await original(protocol, gated, options)
  }
  return () => Object.fromEntries([...init.protocols].map((p) => [p, { active: active.get(p) ?? 0, max, refused: refusedForLimit.get(p) ?? 0 }]))
}

function up (counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1)
}

function down (counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1
  if (left > 0) counts.set(key, left)
  else counts.delete(key)
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
