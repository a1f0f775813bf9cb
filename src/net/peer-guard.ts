// The peer guard: what gossipsub's score does not do by itself. Gossipsub graylists a peer
// whose score falls below `graylistThreshold` (its RPCs are then ignored), but keeps the
// connection; the guard watches scores once a second and hangs up on a peer that stays
// graylisted for `disconnectAfterSec`, then refuses it (connection gater) for `banSec`.
//
// It also keeps the application-specific score (gossipsub P5): invalid messages on topics that
// have no topic score parameters (response channels are created per question, so they cannot
// be listed in advance) count against the peer that sent them, decaying like P4; so does a
// flood (src/net/flood-gate.ts). A peer whose own key was caught equivocating is banned at once
// (`ban`): the evidence is two valid signatures, so there is nothing to wait for.

import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { Counters } from '../kernel/counters.ts'
import type { Logger } from '../kernel/logger.ts'
import type { BucketRate } from '../federation/token-bucket.ts'
import { parsePubkey } from '../envelope/keys.ts'
import { FloodGate } from './flood-gate.ts'

export interface PeerGuardInit {
  graylistThreshold: number
  disconnectAfterSec: number
  banSec: number
  /** Per-second decay of the application-specific penalty counter (0…1). */
  decay?: number
  now?: () => number
}

/** What the guard needs from the libp2p node. */
export interface GuardedNode {
  getConnections: () => Array<{ remotePeer: { toString: () => string } }>
  hangUp: (peer: any) => Promise<void>
  services: { pubsub: { getScore: (peerId: string) => number } }
}

interface Penalty { value: number, at: number }

export class PeerGuard {
  private readonly init: Required<Omit<PeerGuardInit, 'now'>> & { now: () => number }
  private readonly banned = new Map<string, number>()
  private readonly banReasons = new Map<string, string>()
  readonly bannedByReason: Record<string, number> = {}
  private readonly below = new Map<string, number>()
  private readonly penalties = new Map<string, Penalty>()
  private timer?: NodeJS.Timeout
  private node?: GuardedNode
  private counters?: Counters
  private log?: Logger
  graylistedTotal = 0
  disconnectedTotal = 0
  private flood?: FloodGate

  constructor (init: PeerGuardInit) {
    this.init = { decay: 0.9, now: Date.now, ...init }
  }

  /** Connection gater check: true while `peerId` is banned. */
  isBanned (peerId: string): boolean {
    const until = this.banned.get(peerId)
    if (until === undefined) return false
    if (until > this.init.now()) return true
    this.banned.delete(peerId)
    this.banReasons.delete(peerId)
    return false
  }

  /**
   * Bans `peerId` now for `banSec` (default the configured ban): hung up if connected, refused by
   * the connection gater until then. Counted under `peers.banned` by reason.
   */
  ban (peerId: string, reason: string, banSec = this.init.banSec): void {
    const now = this.init.now()
    const fresh = !this.isBanned(peerId)
    this.banned.set(peerId, Math.max(this.banned.get(peerId) ?? 0, now + banSec * 1000))
    this.banReasons.set(peerId, reason)
    this.below.delete(peerId)
    if (fresh) {
      this.bannedByReason[reason] = (this.bannedByReason[reason] ?? 0) + 1
      this.counters?.inc('peers.banned', reason)
      this.log?.warn('peer banned', { peerId, reason, banSec })
    }
    const conn = this.node?.getConnections().find((c) => c.remotePeer.toString() === peerId)
    if (conn !== undefined) {
      this.disconnectedTotal++
      this.counters?.inc('peers.disconnected', reason)
      void this.node?.hangUp(conn.remotePeer).catch(() => {})
    }
  }

  /** Bans the peer whose key is `pubkey` (`ed25519:<hex>`: one key is both node and peer id). */
  banKey (pubkey: string, reason: string): string | undefined {
    const peerId = peerIdOfPubkey(pubkey)
    if (peerId !== undefined) this.ban(peerId, reason)
    return peerId
  }

  /** The flood gate charging this guard (one per guard; its numbers appear in stats()). */
  floodGate (perPeer: BucketRate, ownPerPeer?: BucketRate, hostOf?: (peerId: string) => string | undefined): FloodGate {
    this.flood ??= new FloodGate({ perPeer, ownPerPeer, hostOf, penalize: (peerId, weight) => { this.penalize(peerId, weight) }, now: this.init.now })
    return this.flood
  }

  /** One invalid message from `peerId` on an unscored topic (`weight` < 1 for lesser faults). */
  penalize (peerId: string, weight = 1): void {
    const value = this.decayed(peerId) + weight
    this.penalties.set(peerId, { value, at: this.init.now() })
  }

  /** Gossipsub P5: minus the square of the decayed penalty counter (0 for a clean peer). */
  appScore (peerId: string): number {
    const v = this.decayed(peerId)
    if (v < 0.1) { this.penalties.delete(peerId); return 0 }
    return -(v * v)
  }

  private decayed (peerId: string): number {
    const p = this.penalties.get(peerId)
    if (p === undefined) return 0
    return p.value * Math.pow(this.init.decay, Math.max(0, this.init.now() - p.at) / 1000)
  }

  start (node: GuardedNode, counters?: Counters, log?: Logger): void {
    this.node = node
    this.counters = counters
    this.log = log
    this.timer = setInterval(() => { this.tick() }, 1000)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /**
   * One look at every connected peer's score, and at every peer whose own penalty alone is below
   * the threshold even if it has gone (a flooder whose stream broke must not come back clean).
   * Exported for tests.
   */
  tick (): void {
    const node = this.node
    if (node === undefined) return
    const now = this.init.now()
    const seen = new Set<string>()
    const looks: Array<{ id: string, peer?: unknown, score: number }> = []
    for (const conn of node.getConnections()) {
      const id = conn.remotePeer.toString()
      if (seen.has(id)) continue
      seen.add(id)
      try { looks.push({ id, peer: conn.remotePeer, score: node.services.pubsub.getScore(id) }) } catch {}
    }
    for (const id of [...this.penalties.keys()]) {
      if (seen.has(id) || this.isBanned(id)) continue
      const score = this.appScore(id)
      if (score < this.init.graylistThreshold) { seen.add(id); looks.push({ id, score }) }
    }
    for (const { id, peer, score } of looks) {
      if (score >= this.init.graylistThreshold) { this.below.delete(id); continue }
      const since = this.below.get(id)
      if (since === undefined) {
        this.below.set(id, now)
        this.graylistedTotal++
        this.counters?.inc('peers.graylisted')
        this.log?.warn('peer graylisted', { peerId: id, score })
      } else if (now - since >= this.init.disconnectAfterSec * 1000) {
        this.banned.set(id, now + this.init.banSec * 1000)
        this.banReasons.set(id, 'graylisted')
        this.bannedByReason.graylisted = (this.bannedByReason.graylisted ?? 0) + 1
        this.below.delete(id)
        this.disconnectedTotal++
        this.counters?.inc('peers.disconnected', 'graylisted')
        this.log?.warn('peer disconnected: graylisted too long', { peerId: id, score, banSec: this.init.banSec })
        if (peer !== undefined) void node.hangUp(peer).catch(() => {})
      }
    }
    for (const id of this.below.keys()) if (!seen.has(id)) this.below.delete(id)
  }

  stats (): Record<string, unknown> {
    const now = this.init.now()
    return {
      graylisted: [...this.below.keys()],
      banned: [...this.banned].filter(([, until]) => until > now).map(([peerId, until]) => ({ peerId, until: new Date(until).toISOString(), reason: this.banReasons.get(peerId) ?? 'graylisted' })),
      graylistedTotal: this.graylistedTotal,
      disconnectedTotal: this.disconnectedTotal,
      bannedByReason: { ...this.bannedByReason },
      ...(this.flood === undefined ? {} : { flood: this.flood.stats() })
    }
  }
}

/** The libp2p peer id of an Ed25519 envelope key, or undefined when `pubkey` is not one. */
export function peerIdOfPubkey (pubkey: string): string | undefined {
  const raw = parsePubkey(pubkey)
  if (raw === undefined) return undefined
  try {
    return peerIdFromPublicKey(publicKeyFromRaw(raw)).toString()
  } catch {
    return undefined
  }
}
