// This node's own direct streams to a peer, paced below what that peer admits (used by the daemon
// and the page: no node: imports). A node admits at most `rateLimit.perSender` inbound streams a
// second of its gated protocols (history, pushes, tasks, blobs, …) from one peer, in a bucket of
// their own (src/federation/admission.ts), and refuses the rest with `rate-limited`. An honest
// node can outrun that without meaning to: rejoining a hundred channels after a restart pulls each
// one's history from the same neighbour at once. So the opener holds its gated streams to each
// peer to the same share of that rate as its gossip (OWN_SHARE), in call order, instead of having
// them refused. One pace per peer, since each peer counts only the streams it receives.

import type { PeerId } from '@libp2p/interface'
import { isMultiaddr } from '@multiformats/multiaddr'
import type { BucketRate } from '../federation/token-bucket.ts'
import { OwnPace } from './own-pace.ts'

interface Dials {
  dialProtocol: (peer: any, protocols: string | string[], options?: { signal?: AbortSignal } & Record<string, unknown>) => Promise<any>
}

export interface StreamPaceInit {
  /** Protocols whose streams the peer's admission counts; all others dial untouched. */
  protocols: ReadonlySet<string>
  /** The per-peer stream rate peers enforce (`rateLimit.perSender`). */
  perPeer: BucketRate
  /**
   * Bulk protocols (history pages, attachment chunks) wait in the pace's second line, so a
   * consensus vote or a push with a deadline never queues behind a backfill (an overdue one still
   * gets every other slot).
   */
  bulk?: ReadonlySet<string>
  /** Peers with a pace kept at once (the least recently used goes first). */
  maxPeers?: number
  /** Monotonic milliseconds (tests). */
  now?: () => number
}

export interface StreamPace {
  stats: () => { peers: number, sent: number, delayed: number, delayedMs: number, waiting: number }
  stop: () => void
}

/** Wraps `libp2p.dialProtocol` once, before any part dials. */
export function paceOutboundStreams (libp2p: Dials, init: StreamPaceInit): StreamPace {
  const original = libp2p.dialProtocol.bind(libp2p)
  const maxPeers = init.maxPeers ?? 1024
  // insertion order is recency; a pace is dropped only when nothing waits on it
  const paces = new Map<string, OwnPace>()
  const retired = { sent: 0, delayed: 0, delayedMs: 0 }
  let stopped = false
  const paceOf = (peer: unknown): OwnPace => {
    const key = peerKey(peer)
    let pace = paces.get(key)
    if (pace !== undefined) paces.delete(key)
    else {
      pace = new OwnPace(init.perPeer, { now: init.now })
      for (const [k, p] of paces) {
        if (paces.size < maxPeers) break
        if (p.waiting > 0) continue
        paces.delete(k)
        retired.sent += p.numbers.sent; retired.delayed += p.numbers.delayed; retired.delayedMs += p.numbers.delayedMs
      }
    }
    paces.set(key, pace)
    return pace
  }
  libp2p.dialProtocol = async (peer, protocols, options) => {
    const list = Array.isArray(protocols) ? protocols : [protocols]
    if (!stopped && list.some((p) => init.protocols.has(p))) {
      await paceOf(peer).slot(options?.signal, { spare: list.every((p) => init.bulk?.has(p) === true) })
    }
    return await original(peer, protocols, options)
  }
  return {
    stats: () => {
      const all = [...paces.values()]
      const sum = (k: 'sent' | 'delayed' | 'delayedMs'): number => all.reduce((n, p) => n + p.numbers[k], retired[k])
      return { peers: all.length, sent: sum('sent'), delayed: sum('delayed'), delayedMs: Math.round(sum('delayedMs')), waiting: all.reduce((n, p) => n + p.waiting, 0) }
    },
    stop: () => {
      stopped = true
      for (const p of paces.values()) p.stop()
    }
  }
}

/** A peer id's string, also when the dial names it by a multiaddr ending in /p2p/<id>. */
function peerKey (peer: unknown): string {
  if (Array.isArray(peer)) return peerKey(peer[0])
  if (isMultiaddr(peer)) return peer.getComponents().findLast((c) => c.name === 'p2p')?.value ?? peer.toString()
  return String(peer as PeerId)
}
