// The flood gate: what a peer's gossip costs it when most of it is refused. Two parts:
//
// - Before any validator runs, each (peer, topic) is paced at a fraction of the topic's rate (GCRA, the
//   token bucket as a schedule), so one peer (whatever keys it signs with) can take at most that
//   share of a topic's admission and honest senders keep the rest. Each (host, topic) is paced too
//   (src/net/host-key.ts): peer ids are free, and a handful from one machine took a topic whole. A message over the pace waits for
//   its slot, up to `maxDelayMs` (an honest relay's burst is delayed, not lost: a refused copy is
//   lost for good, gossipsub has marked its id seen); beyond that it is refused at no cost. Pacing
//   also makes a flood visible on a loaded machine: TCP back-pressure caps what a peer can push
//   at what we read, and reading is cheap while validating is not, so a flooder's backlog
//   overflows its wait and most of its traffic is refused.
// - After judgement, each peer's recent messages are tallied good or bad (decaying). Once a peer's
//   recent traffic is mostly bad (rate-limited, invalid, duplicate), every further bad message
//   costs it application-specific score (gossipsub P5, through PeerGuard.penalize), so a flooder
//   falls below the graylist threshold within a second or two, while a peer whose refusals are an
//   occasional minority (a relay caught by timing, an honest node's stale copy) is never charged.

import { paceOf, paceStep, type BucketRate, type Pace } from '../federation/token-bucket.ts'
import { LruMap } from '../envelope/replay.ts'
import { HOST_PEERS } from './host-key.ts'

export type Outcome = 'good' | 'bad' | 'neutral'

/** `admit`'s answer when only the host's pace refuses a message (the peer's own is kept). */
export const HOST_REFUSED = -2

/**
 * How one verdict counts towards the share of a peer's traffic that is bad. Timing (expired,
 * from-future) and equivocation (the signer's fault, relayed in good faith) and non-membership
 * (lapsed members' heartbeats) are nobody's flood; rate-limited, duplicate copies, messages on
 * topics this node does not carry (unknown-topic) and rejects are. Another node's message over its
 * own per-sender rate, relayed in good faith (sender-rate-limited), is not the relay's. An honest
 * peer's odd message in flight as a topic is dropped stays far below the share that costs it anything.
 */
export function outcomeOf (action: 'accept' | 'reject' | 'ignore', reason?: string): Outcome {
  if (action === 'accept') return 'good'
  if (action === 'reject') return reason === 'not-member' ? 'neutral' : 'bad'
  // `host-rate-limited` (its host over the host's pace) is neutral: a peer must not be charged,
  // graylisted and banned for what others on its address send
  return reason === 'rate-limited' || reason === 'duplicate' || reason === 'unknown-topic' ? 'bad' : 'neutral'
}

/** True when a peer's decayed tallies say its traffic is mostly bad (pure; property-tested). */
export function mostlyBad (good: number, bad: number, share: number, minBad: number): boolean {
  return bad >= minBad && bad > share * (good + bad)
}

export interface FloodGateInit {
  /** Each peer's pace per scope (the daemon uses a quarter of `rateLimit.perScope`). */
  perPeer: BucketRate
  /**
   * The pace of a peer's own messages (signed with its own key) per scope, in a lane apart from
   * what it relays (default: `perPeer`; the daemon uses `rateLimit.perSender`, the rate an honest
   * node keeps its own messages to). An honest relay passing on its accepted share of a flood fills
   * its relay lane; its own next question must not wait behind that, or be refused with it.
   */
  ownPerPeer?: BucketRate
  /**
   * A peer's host (src/net/host-key.ts; undefined: loopback, WebRTC; circuits: their relay's, apart), when hosts are paced: all
   * of a host's peers together relay at `perPeer` and send their own at HOST_PEERS × `ownPerPeer`.
   */
  hostOf?: (peerId: string) => string | undefined
  /** Longest wait for a slot before a message is refused, ms (default 2000). */
  maxDelayMs?: number
  /** Score penalty for one bad message from a peer whose traffic is mostly bad. */
  penalize: (peerId: string, weight: number) => void
  /**
   * Share of recent messages that must be bad (default 0.75). Not a bare majority: an honest
   * relay forwards the share of a flood it accepted, and a neighbour paces that relay at the same
   * share, so a relay can see up to about half its copies delayed or refused; a flooder sending
   * many times its pace sees nearly all of them refused.
   */
  badShare?: number
  /** Bad messages in the window before anything is charged (default 20). */
  minBad?: number
  /** Penalty weight per bad message once mostly bad (default 0.25: ~40 bad messages → graylisted). */
  weight?: number
  /** Half-life of the tallies, seconds (default 5). */
  halfLifeSec?: number
  /** Peers tallied at once (default 10 000). */
  maxPeers?: number
  now?: () => number
}

interface Tally { good: number, bad: number, at: number }

export class FloodGate {
  /** Per (peer, topic): the theoretical arrival time of the next message (GCRA), ms. */
  private readonly pace: LruMap<string, number>
  private readonly perPeer: Pace
  private readonly ownPerPeer: Pace
  private readonly ownPerHost: Pace
  private readonly tallies: LruMap<string, Tally>
  private readonly init: Required<Omit<FloodGateInit, 'perPeer' | 'ownPerPeer' | 'penalize' | 'hostOf'>> & Pick<FloodGateInit, 'penalize' | 'hostOf'>
  readonly numbers = { refused: 0, delayed: 0, charged: 0 }
  /** Peers charged at least once (for stats). */
  private readonly charged = new LruMap<string, number>(1000)

  constructor (init: FloodGateInit) {
    this.init = { badShare: 0.75, minBad: 20, weight: 0.25, halfLifeSec: 5, maxPeers: 10_000, maxDelayMs: 2000, now: () => performance.now(), ...init }
    this.perPeer = paceOf(init.perPeer)
    const own = init.ownPerPeer ?? init.perPeer
    this.ownPerPeer = paceOf(own)
    this.ownPerHost = paceOf({ ratePerSec: own.ratePerSec * HOST_PEERS, burst: own.burst * HOST_PEERS })
    this.pace = new LruMap(this.init.maxPeers)
    this.tallies = new LruMap(this.init.maxPeers)
  }

  /**
   * Before validation: how long one more message from `peerId` on `topic` must wait, in ms
   * (0: go now), or -1 when it is refused (its wait would exceed `maxDelayMs`), HOST_REFUSED (-2)
   * when only its host's pace refuses it. `own`: the message names `peerId`'s own key as its signer
   * (its own lane; what the signature says is checked after).
   */
  admit (peerId: string, topic: string, own = false): number {
    const now = this.init.now()
    // a peer already caught flooding gets nothing more until its record recovers: what it had
    // admitted so far is all it gets (and all its neighbours have to relay)
    const t = this.tallies.get(peerId)
    if (t !== undefined && this.decay(t, now) && mostlyBad(t.good, t.bad, this.init.badShare, this.init.minBad)) { this.numbers.refused++; return -1 }
    const lane = own ? `${topic} own` : topic
    const key = `${peerId} ${lane}`
    const step = paceStep(this.pace.get(key), now, own ? this.ownPerPeer : this.perPeer)
    const host = this.init.hostOf?.(peerId)
    const hostKey = host === undefined ? undefined : `host ${host} ${lane}`
    const hostStep = hostKey === undefined ? undefined : paceStep(this.pace.get(hostKey), now, own ? this.ownPerHost : this.perPeer)
    // the message goes when both its peer's and its host's pace let it; refused for its host's
    // pace alone, it is not this peer's fault (HOST_REFUSED): others on its address may be flooding
    if (step.wait > this.init.maxDelayMs) { this.numbers.refused++; return -1 }
    const wait = Math.max(step.wait, hostStep?.wait ?? 0)
    if (wait > this.init.maxDelayMs) {
      // the peer's own pace still counts the message: a peer that goes on past its own pace
      // is refused for it (-1, charged) however full its host is, not excused as the host's
      this.pace.set(key, step.next)
      this.numbers.refused++
      return HOST_REFUSED
    }
    this.pace.set(key, step.next)
    if (hostKey !== undefined && hostStep !== undefined) this.pace.set(hostKey, hostStep.next)
    if (wait > 0) this.numbers.delayed++
    return wait
  }

  /**
   * After judgement: one message from `peerId` ended as `action` for `reason`. A message that
   * had to wait for its slot (`delayed`) counts as good for nobody: a flooder is always over its
   * pace, so only its refusals count, and an honest relay's burst costs it nothing.
   */
  note (peerId: string, action: 'accept' | 'reject' | 'ignore', reason?: string, delayed = false): void {
    const outcome = outcomeOf(action, reason)
    if (outcome === 'neutral' || (outcome === 'good' && delayed)) return
    const now = this.init.now()
    let t = this.tallies.get(peerId)
    if (t === undefined) {
      t = { good: 0, bad: 0, at: now }
      this.tallies.set(peerId, t)
    } else this.decay(t, now)
    if (outcome === 'good') { t.good++; return }
    t.bad++
    if (mostlyBad(t.good, t.bad, this.init.badShare, this.init.minBad)) {
      this.numbers.charged++
      this.charged.set(peerId, (this.charged.get(peerId) ?? 0) + 1)
      this.init.penalize(peerId, this.init.weight)
    }
  }

  /** Brings a tally's counts to `now`; true (for chaining). */
  private decay (t: Tally, now: number): true {
    if (now > t.at) {
      const f = Math.pow(0.5, (now - t.at) / 1000 / this.init.halfLifeSec)
      t.good *= f
      t.bad *= f
      t.at = now
    }
    return true
  }

  stats (): Record<string, unknown> {
    // the peers charged most recently (who was charged matters as much as how often)
    return { refused: this.numbers.refused, delayed: this.numbers.delayed, charged: this.numbers.charged, chargedPeers: this.charged.size, recentlyCharged: [...this.charged.keys()].slice(-20) }
  }
}
