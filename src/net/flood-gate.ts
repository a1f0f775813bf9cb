// The flood gate: what a peer's gossip costs it when most of it is refused. Two parts:
//
// - Before any validator runs, each (peer, scope) has a token bucket at half the scope's rate,
//   so one peer (whatever keys it signs with) can take at most half of a scope's admission and
//   honest senders keep the rest; the refused copies cost no signature check. An honest relay
//   forwards only what it accepted itself, under its own scope bucket, so it stays within this.
// - After judgement, each peer's recent messages are tallied good or bad (decaying). Once a peer's
//   recent traffic is mostly bad (rate-limited, invalid, duplicate), every further bad message
//   costs it application-specific score (gossipsub P5, through PeerGuard.penalize), so a flooder
//   falls below the graylist threshold within a second or two, while a peer whose refusals are an
//   occasional minority (a relay caught by timing, an honest node's stale copy) is never charged.

import { TokenBuckets, type BucketRate } from '../federation/token-bucket.ts'
import { LruMap } from '../envelope/replay.ts'

export type Outcome = 'good' | 'bad' | 'neutral'

/**
 * How one verdict counts towards the share of a peer's traffic that is bad. Timing (expired,
 * from-future) and equivocation (the signer's fault, relayed in good faith) and non-membership
 * (lapsed members' heartbeats) are nobody's flood; rate-limited, duplicate copies and rejects are.
 */
export function outcomeOf (action: 'accept' | 'reject' | 'ignore', reason?: string): Outcome {
  if (action === 'accept') return 'good'
  if (action === 'reject') return reason === 'not-member' ? 'neutral' : 'bad'
  return reason === 'rate-limited' || reason === 'duplicate' ? 'bad' : 'neutral'
}

/** True when a peer's decayed tallies say its traffic is mostly bad (pure; property-tested). */
export function mostlyBad (good: number, bad: number, share: number, minBad: number): boolean {
  return bad >= minBad && bad > share * (good + bad)
}

export interface FloodGateInit {
  /** Each peer's bucket per scope (the daemon uses half of `rateLimit.perScope`). */
  perPeer: BucketRate
  /** Score penalty for one bad message from a peer whose traffic is mostly bad. */
  penalize: (peerId: string, weight: number) => void
  /** Share of recent messages that must be bad (default 0.5). */
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

const CHANNEL_PREFIX = 'swarm/1/channel/'

export class FloodGate {
  private readonly buckets: TokenBuckets
  private readonly tallies: LruMap<string, Tally>
  private readonly init: Required<Omit<FloodGateInit, 'perPeer' | 'penalize'>> & Pick<FloodGateInit, 'penalize'>
  readonly numbers = { refused: 0, charged: 0 }
  /** Peers charged at least once (for stats). */
  private readonly charged = new LruMap<string, number>(1000)

  constructor (init: FloodGateInit) {
    this.init = { badShare: 0.5, minBad: 20, weight: 0.25, halfLifeSec: 5, maxPeers: 10_000, now: Date.now, ...init }
    this.buckets = new TokenBuckets(init.perPeer, { now: this.init.now, maxKeys: this.init.maxPeers })
    this.tallies = new LruMap(this.init.maxPeers)
  }

  /** Before validation: may `peerId` send one more message on `topic` now? */
  admit (peerId: string, topic: string): boolean {
    const scope = topic.startsWith(CHANNEL_PREFIX) ? CHANNEL_PREFIX : topic
    if (this.buckets.take(`${peerId} ${scope}`)) return true
    this.numbers.refused++
    return false
  }

  /** After judgement: one message from `peerId` ended as `action` for `reason`. */
  note (peerId: string, action: 'accept' | 'reject' | 'ignore', reason?: string): void {
    const outcome = outcomeOf(action, reason)
    if (outcome === 'neutral') return
    const now = this.init.now()
    let t = this.tallies.get(peerId)
    if (t === undefined) {
      t = { good: 0, bad: 0, at: now }
      this.tallies.set(peerId, t)
    } else if (now > t.at) {
      const f = Math.pow(0.5, (now - t.at) / 1000 / this.init.halfLifeSec)
      t.good *= f
      t.bad *= f
      t.at = now
    }
    if (outcome === 'good') { t.good++; return }
    t.bad++
    if (mostlyBad(t.good, t.bad, this.init.badShare, this.init.minBad)) {
      this.numbers.charged++
      this.charged.set(peerId, (this.charged.get(peerId) ?? 0) + 1)
      this.init.penalize(peerId, this.init.weight)
    }
  }

  stats (): Record<string, unknown> {
    return { refused: this.numbers.refused, charged: this.numbers.charged, chargedPeers: this.charged.size }
  }
}
