// Admission: the one place that decides whether an accepted message may come in, for every
// part at once. The TopicRouter asks after a topic's own validator accepted (the envelope is
// known good, so its sender is who it says), the stream gate asks before a protocol handler
// runs (the sender is the connected peer: an Ed25519 peer id is the node key).
//
// Two rules: in a closed federation, what concerns this federation must come from a member
// (`not-member`), and every sender and scope has a token bucket (`rate-limited`). A stream
// protocol's is shared fairly among the peers that open its streams (src/federation/fair-scope.ts);
// a topic's is not shared by sender, because keys are free: a hundred made-up keys would take a
// hundred shares from a handful of honest senders (the relaying peer, which costs a connection,
// is paced before this by src/net/flood-gate.ts). A peer's
// inbound streams draw on a bucket of their own (the same rate as a sender's messages): a burst
// of history pulls from an honest neighbour must not cost it its gossip, nor the reverse
// (src/net/stream-pace.ts paces the opener's side).

import { topics as topicNames } from '../constants.ts'
import { TokenBuckets, type BucketRate } from './token-bucket.ts'
import { FairScopes } from './fair-scope.ts'
import { HOST_PEERS } from '../net/host-key.ts'

/** What admission needs to know about membership (the federation service provides it). */
export interface MembershipView {
  readonly federation: string
  closed: () => boolean
  /** Undefined when `nodeId` is a member now, else why not (`no-certificate`, `revoked`, `expired`, …). */
  whyNot: (nodeId: string) => string | undefined
}

export interface AdmissionInit {
  membership: MembershipView
  rateLimit: { perSender: BucketRate, perScope: BucketRate }
  now?: () => number
}

export type AdmissionVerdict =
  | { ok: true }
  | { ok: false, action: 'reject' | 'ignore', reason: 'not-member' | 'rate-limited', detail: string, sender?: string, retryAfterMs?: number }

export interface SenderClaim { nodeId: string, federation: string }

/**
 * The sender a route's accepted value names: an envelope, `{ envelope }`, or a record with
 * `nodeId` and `federation` (a capability advert's directory entry); undefined otherwise.
 */
export function senderOfValue (value: unknown): SenderClaim | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const v = value as Record<string, any>
  const sender = v.envelope?.sender ?? v.sender
  if (sender !== null && typeof sender === 'object' && typeof sender['node/id'] === 'string' && typeof sender['federation/id'] === 'string') {
    return { nodeId: sender['node/id'], federation: sender['federation/id'] }
  }
  if (typeof v.nodeId === 'string' && typeof v.federation === 'string') return { nodeId: v.nodeId, federation: v.federation }
  return undefined
}

export class Admission {
  private readonly membership: MembershipView
  private readonly perSender: TokenBuckets
  private readonly perPeerStreams: TokenBuckets
  private readonly perHostStreams: TokenBuckets
  private readonly perScope: TokenBuckets
  private readonly perStreamScope: FairScopes
  private readonly ownPrefix: string
  private readonly membershipTopic: string
  readonly refused = { 'not-member': 0, 'rate-limited': 0 }

  constructor (init: AdmissionInit) {
    this.membership = init.membership
    this.perSender = new TokenBuckets(init.rateLimit.perSender, { now: init.now })
    this.perPeerStreams = new TokenBuckets(init.rateLimit.perSender, { now: init.now })
    const ps = init.rateLimit.perSender
    this.perHostStreams = new TokenBuckets({ ratePerSec: ps.ratePerSec * HOST_PEERS, burst: ps.burst * HOST_PEERS }, { now: init.now })
    this.perScope = new TokenBuckets(init.rateLimit.perScope, { now: init.now, maxKeys: 1000 })
    this.perStreamScope = new FairScopes(init.rateLimit.perScope, { now: init.now, maxScopes: 64 })
    const fed = init.membership.federation
    this.ownPrefix = `swarm/1/fed/${fed}/`
    this.membershipTopic = topicNames.federation(fed)
  }

  /** A gossipsub message on `topic` whose validator accepted `value`. */
  judgeTopic (topic: string, value: unknown): AdmissionVerdict {
    const sender = senderOfValue(value)
    if (sender === undefined) return { ok: true }
    if (topic === this.membershipTopic) {
      // certificates are how members become known: never refused for membership, and signed by
      // roots rather than nodes, so only the topic's own bucket applies
      return this.takeScope(topic)
    }
    if (this.membership.closed() && this.mustBeMember(topic, sender)) {
      const why = this.membership.whyNot(sender.nodeId)
      if (why !== undefined) return this.refuse('reject', 'not-member', `${sender.nodeId} is not a member of ${this.membership.federation} (${why})`)
    }
    // `sender` names whose bucket ran dry: a peer relaying another node's burst is not to blame
    if (!this.perSender.take(sender.nodeId)) return this.refuse('ignore', 'rate-limited', `sender ${sender.nodeId} over its rate`, sender.nodeId)
    return this.takeScope(topic)
  }

  /**
   * An envelope that came without a topic (a direct push, a history page): judgeTopic's membership
   * rule on its author. The stream gate only knows the peer that served it, and a member can
   * pass on, or a peer serve in a history page, envelopes a non-member signed. `ownScope`: it
   * belongs to a question on this federation's own topics. Rates are the stream's, charged there.
   */
  judgeAuthor (value: unknown, ownScope: boolean): AdmissionVerdict {
    const sender = senderOfValue(value)
    if (sender === undefined || !this.membership.closed()) return { ok: true }
    if (!ownScope && sender.federation !== this.membership.federation) return { ok: true }
    const why = this.membership.whyNot(sender.nodeId)
    return why === undefined ? { ok: true } : this.refuse('reject', 'not-member', `${sender.nodeId} is not a member of ${this.membership.federation} (${why})`)
  }

  /**
   * An inbound stream of `protocol` from the peer whose node id is `nodeId` (undefined: not an
   * Ed25519 peer, then counted by its peer id `peer`: every peer has a stream bucket), over a
   * connection from `host` (src/net/host-key.ts; undefined for loopback and WebRTC ones). A host
   * has a bucket of its own, HOST_PEERS peers' worth, and is one drawer of the protocol's fair
   * share: identities are free, and each had a bucket and a share of its own.
   */
  judgeStream (protocol: string, nodeId: string | undefined, peer?: string, host?: string): AdmissionVerdict {
    if (this.membership.closed()) {
      const why = nodeId === undefined ? 'not an Ed25519 peer' : this.membership.whyNot(nodeId)
      if (why !== undefined) return this.refuse('reject', 'not-member', `${nodeId ?? 'peer'} is not a member of ${this.membership.federation} (${why})`)
    }
    const key = nodeId ?? peer
    if (key !== undefined && !this.perPeerStreams.take(key)) return this.refuse('ignore', 'rate-limited', `peer ${key} over its stream rate`, undefined, this.perPeerStreams.waitFor(key))
    if (host !== undefined && !this.perHostStreams.take(host)) return this.refuse('ignore', 'rate-limited', `host ${host} over its stream rate`, undefined, this.perHostStreams.waitFor(host))
    const why = this.perStreamScope.take(`stream:${protocol}`, host ?? key ?? 'unknown')
    if (why === undefined) return { ok: true }
    const detail = why.refused === 'dry' ? `streams of ${protocol} over their rate` : `streams of ${protocol} are down to their reserve, kept for peers under their share`
    return this.refuse('ignore', 'rate-limited', detail, undefined, why.retryAfterMs)
  }

  stats (): Record<string, unknown> {
    return { refused: { ...this.refused }, senders: this.perSender.size, overShare: this.perStreamScope.refusedOverShare }
  }

  /**
   * What a closed federation guards: its own topics (the channel envelopes of its
   * federation-local questions ride its questions topic) and anything whose sender claims the
   * federation. Other federations' senders on global topics are not ours to judge.
   */
  private mustBeMember (topic: string, sender: SenderClaim): boolean {
    return topic.startsWith(this.ownPrefix) || sender.federation === this.membership.federation
  }

  private takeScope (scope: string): AdmissionVerdict {
    return this.perScope.take(scope) ? { ok: true } : this.refuse('ignore', 'rate-limited', `scope ${scope} over its rate`)
  }

  private refuse (action: 'reject' | 'ignore', reason: 'not-member' | 'rate-limited', detail: string, sender?: string, retryAfterMs?: number): AdmissionVerdict {
    this.refused[reason]++
    return retryAfterMs === undefined ? { ok: false, action, reason, detail, sender } : { ok: false, action, reason, detail, sender, retryAfterMs }
  }
}
